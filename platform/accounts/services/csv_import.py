"""The accounts' CSV import (students and parents, all or nothing) and the CSV reading it
shares with the catalog's imports."""

import csv
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role
from accounts.services.users import _require_manager, parent_link, user_create
from audit.models import Source
from audit.services import audit_context

CSV_COLUMNS = ("nume", "prenume", "rol", "email", "data_nasterii", "copil")


CSV_ROLES = {"elev": Role.STUDENT, "parinte": Role.PARENT, "părinte": Role.PARENT}


MAX_IMPORT_ROWS = 5000


@dataclass
class ImportReport:
    created: list[User] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "Rândul 3: ...", in Romanian


def users_import_csv(*, actor: User, text: str) -> ImportReport:
    """Import students and parents from CSV (columns: nume, prenume, rol, email,
    data_nasterii, copil — for a parent, `#N` for the student on row N of the file or an
    existing student's username). Every row is checked; if any is wrong, nothing is
    imported and the report lists every problem by row."""
    _require_manager(actor)
    report = ImportReport()
    rows = _csv_rows(text, report)
    if report.errors:
        return report
    try:
        with transaction.atomic(), audit_context(source=Source.IMPORT):
            made: dict[int, User] = {}
            for number, row in rows:
                _import_row(actor, number, row, made, report)
            if report.errors:
                raise _ImportFailed
    except _ImportFailed:
        report.created = []
    return report


class _ImportFailed(Exception):
    pass


def _csv_rows(text: str, report: ImportReport) -> list[tuple[int, dict[str, str]]]:
    rows, errors = csv_read(text, required=CSV_COLUMNS[:3], max_rows=MAX_IMPORT_ROWS)
    report.errors.extend(errors)
    return [(row.line, row.values) for row in rows]


@dataclass(frozen=True)
class CsvRow:
    line: int  # the file's line the row starts on (the header is line 1)
    values: dict[str, str]  # by column name, stripped
    extra: bool = False  # more cells than the header has columns


def csv_column_name(name: str) -> str:
    """`numar_matricol` from „Număr matricol”: how a header cell names its column."""
    ascii_name = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().strip().lower()
    return re.sub(r"[\s-]+", "_", ascii_name)


def csv_read(
    text: str, *, required: Sequence[str], max_rows: int, allowed: Sequence[str] | None = None
) -> tuple[list[CsvRow], list[str]]:
    """The data rows of a CSV text (a UTF-8 BOM dropped, `,` or `;` between cells; blank rows
    skipped) and the problems of the file as a whole, in Romanian (no rows when there is any)."""
    text = text.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text), delimiter=_sniff_delimiter(text))
    rows: list[CsvRow] = []
    try:
        header = [csv_column_name(name) for name in next(reader, [])]
        if errors := _header_errors(header, required, allowed):
            return [], errors
        previous_line = reader.line_num
        for cells in reader:
            line, previous_line = previous_line + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= max_rows:
                return [], [_("Fișierul are mai mult de %(max)d rânduri.") % {"max": max_rows}]
            values = {name: cell.strip() for name, cell in zip(header, cells, strict=False) if name}
            extra = any(cell.strip() for cell in cells[len(header) :])
            rows.append(CsvRow(line=line, values=values, extra=extra))
    except csv.Error:
        return [], [_("Fișierul nu este un CSV valid (rândul %(row)d).") % {"row": reader.line_num}]
    if not rows:
        return [], [_("Fișierul nu are niciun rând de date.")]
    return rows, []


def _header_errors(header: list[str], required: Sequence[str], allowed: Sequence[str] | None) -> list[str]:
    if missing := [column for column in required if column not in header]:
        return [_("Lipsesc coloanele: %(columns)s.") % {"columns": ", ".join(missing)}]
    errors = []
    if allowed is not None and (unknown := [name or "(fără nume)" for name in header if name not in allowed]):
        errors.append(
            _("Coloane necunoscute: %(columns)s. Coloanele acceptate sunt: %(allowed)s.")
            % {"columns": ", ".join(unknown), "allowed": ", ".join(allowed)}
        )
    if repeated := sorted({name for name in header if name and header.count(name) > 1}):
        errors.append(_("Coloane care apar de două ori: %(columns)s.") % {"columns": ", ".join(repeated)})
    return errors


def _sniff_delimiter(text: str) -> str:
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    return ";" if first.count(";") > first.count(",") else ","


def _import_row(actor: User, number: int, row: dict[str, str], made: dict[int, User], report: ImportReport) -> None:
    def fail(message: str) -> None:
        report.errors.append(_("Rândul %(row)d: %(message)s") % {"row": number, "message": message})

    role = CSV_ROLES.get(row.get("rol", "").lower())
    if role is None:
        return fail(_("rolul trebuie să fie „elev” sau „părinte”."))
    birth_date = None
    if row.get("data_nasterii"):
        try:
            birth_date = date.fromisoformat(row["data_nasterii"])
        except ValueError:
            return fail(_("data nașterii trebuie scrisă AAAA-LL-ZZ."))
    try:
        with transaction.atomic():
            user = user_create(
                actor=actor, first_name=row.get("prenume", ""), last_name=row.get("nume", ""), roles=[role],
                email=row.get("email", ""), birth_date=birth_date,
            )  # fmt: skip
    except ValidationError as exc:
        return fail(" ".join(exc.messages))
    made[number] = user
    report.created.append(user)
    if role == Role.PARENT:
        child = _child_of_row(row.get("copil", ""), made)
        if child is None:
            return fail(
                _("copilul („%(ref)s”) nu este un elev din fișier (#rând) sau din școală.")
                % {"ref": row.get("copil", "")}
            )
        parent_link(actor=actor, parent=user, student=child)
    return None


def _child_of_row(reference: str, made: dict[int, User]) -> User | None:
    if reference.startswith("#") and reference[1:].isdigit():
        child = made.get(int(reference[1:]))
    else:
        child = User.objects.filter(username=reference).first() if reference else None
    return child if child is not None and child.has_role(Role.STUDENT) else None
