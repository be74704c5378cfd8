"""The students' CSV import (a school's secretariat, or `catedra catalog_import`): every row
checked (names, CNP, class, register number, parents' e-mails) against the file and the
school before anything is written; then all or nothing, the parents found again by e-mail."""

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Role
from accounts.services import CsvRow, csv_read, parent_link, user_create
from audit.actions import Action
from audit.models import Source
from audit.services import audit_context, audit_record
from catalog.structure.cnp import cnp_validate
from catalog.structure.imports.jobs import JOB_NOT_ALLOWED, job_queue, job_run
from catalog.structure.imports.report import ImportReport, RowProblem, file_text, folded
from catalog.structure.models import ImportJob, Level, SchoolClass, SchoolYear, Student, level_cycle
from catalog.structure.services import require_configurer, require_open, student_create
from catedra.text import has_control_characters

COLUMNS = (
    "nume", "prenume", "cnp", "clasa", "numar_matricol", "email", "parinte_nume", "parinte_prenume", "parinte_email",
)  # fmt: skip


REQUIRED = ("nume", "prenume", "cnp")


PARENT_COLUMNS = ("parinte_nume", "parinte_prenume", "parinte_email")


MAX_ROWS = 2000


CLASS_NOT_IN_YEAR = _("Clasa aleasă nu este în anul școlar {year}.")


EXTRA_CELLS = _("Rândul are mai multe valori decât coloanele din antet (o virgulă sau un punct și virgulă în plus?).")


LAST_NAME_MISSING = _("Numele elevului lipsește.")


FIRST_NAME_MISSING = _("Prenumele elevului lipsește.")


NAME_FORMULA = _("Un nume nu poate începe cu =, +, - sau @.")


NAME_BAD = _("Cel mult 150 de caractere, fără caractere de control.")


CNP_IN_FILE = _("CNP-ul apare și pe rândul {line}.")


CNP_TAKEN = _("Există deja în școală un elev cu acest CNP.")


CLASS_MISSING = _("Clasa lipsește.")


CLASS_UNKNOWN = _("Clasa „{value}” nu există în anul școlar {year}.")


CLASS_NOT_CHOSEN = _("Rândul are clasa {value}, dar pentru import ați ales {chosen}.")


REGISTER_BAD = _("Numărul matricol este un număr întreg de la 1 în sus.")


REGISTER_IN_FILE = _("Numărul matricol {n} ({cycle}) apare și pe rândul {line}.")


REGISTER_TAKEN = _("Numărul matricol {n} ({cycle}) este deja folosit în școală.")


EMAIL_BAD = _("Adresa de e-mail nu este validă.")


EMAIL_IN_FILE = _("Adresa de e-mail apare și pe rândul {line}.")


EMAIL_TAKEN = _("Adresa de e-mail este deja folosită de alt cont al școlii.")


PARENT_LAST_NAME_MISSING = _("Numele părintelui lipsește.")


PARENT_FIRST_NAME_MISSING = _("Prenumele părintelui lipsește.")


PARENT_EMAIL_MISSING = _("E-mailul părintelui lipsește (după el recunoaștem frații).")


PARENT_NAME_DIFFERS = _("Același e-mail de părinte are alt nume pe rândul {line}.")


PARENT_NOT_A_PARENT = _("Adresa aparține unui cont al școlii care nu este de părinte.")


PARENT_NAME_DIFFERS_FROM_ACCOUNT = _("Adresa aparține părintelui {name} din școală, cu alt nume decât în fișier.")


PARENT_IS_STUDENT = _("Adresa părintelui este și adresa unui elev din fișier (rândul {line}).")


_CEDILLA_TO_COMMA = str.maketrans({"Ş": "Ș", "ş": "ș", "Ţ": "Ț", "ţ": "ț"})


_FORMULA_START = ("=", "+", "-", "@")


@dataclass
class StudentImport(ImportReport):
    students: list[Student] = field(default_factory=list)
    parents_created: list[User] = field(default_factory=list)
    parents_reused: list[User] = field(default_factory=list)
    links: int = 0
    # A check's forecast (students_check): parent e-mails without and with an account.
    parents_new: int = 0
    parents_existing: int = 0


@dataclass
class _Parent:
    line: int
    last_name: str
    first_name: str
    email: str


@dataclass
class _Row:
    line: int
    last_name: str = ""
    first_name: str = ""
    cnp: str = ""
    school_class: SchoolClass | None = None
    register_number: int | None = None
    email: str = ""
    parent: _Parent | None = None


def template_csv() -> str:
    """The file to fill in: the header only (`;` and a BOM, so Excel in Romanian opens it in columns)."""
    return "\ufeff" + ";".join(COLUMNS) + "\r\n"


def students_import(
    *, actor: User, year: SchoolYear, data: bytes, school_class: SchoolClass | None = None, dry_run: bool = False
) -> StudentImport:
    """Import the students (and parents) of a CSV file into classes of `year`, all or nothing.

    A refused import, or a dry run (every write made, then rolled back), writes nothing and
    returns the report of what was found.
    """
    report, rows = _checked(actor=actor, year=year, data=data, school_class=school_class)
    report.dry_run = dry_run
    if report.ok:
        _rows_write(actor, year, rows, report)
    return report


def students_check(
    *, actor: User, year: SchoolYear, data: bytes, school_class: SchoolClass | None = None
) -> StudentImport:
    """Every check of `students_import`, and nothing written: quick enough for a request
    even at MAX_ROWS (a few queries for the whole file). The report counts the rows and the
    parents the import would make (`parents_new`) or find (`parents_existing`)."""
    report, rows = _checked(actor=actor, year=year, data=data, school_class=school_class)
    report.dry_run = True
    if report.ok:
        emails = {row.parent.email for row in rows if row.parent}
        existing = {user.email_lower for user in _users_with_emails(emails)}
        report.parents_existing, report.parents_new = len(emails & existing), len(emails - existing)
    return report


def _checked(
    *, actor: User, year: SchoolYear, data: bytes, school_class: SchoolClass | None
) -> tuple[StudentImport, list[_Row]]:
    require_configurer(actor)
    require_open(year)
    if school_class is not None and school_class.year_id != year.pk:
        raise ValidationError(CLASS_NOT_IN_YEAR.format(year=year.name), code="class_year")
    report = StudentImport()
    text = _text(data, report)
    if not report.ok:
        return report, []
    required = REQUIRED if school_class else (*REQUIRED, "clasa")
    csv_rows, errors = csv_read(text, required=required, allowed=COLUMNS, max_rows=MAX_ROWS)
    report.problems += [RowProblem(None, "", message) for message in errors]
    report.rows = len(csv_rows)
    classes = _class_lookup(year)
    rows = [_row_parse(row, classes, year, school_class, report) for row in csv_rows]
    _rows_check(rows, report)
    return report, rows


def _text(data: bytes, report: StudentImport) -> str:
    text, problem = file_text(data)
    if problem:
        report.problems.append(RowProblem(None, "", problem))
    return text


def _row_parse(
    csv_row: CsvRow, classes: dict[str, SchoolClass], year: SchoolYear, chosen: SchoolClass | None,
    report: StudentImport,
) -> _Row:  # fmt: skip
    values, row = csv_row.values, _Row(line=csv_row.line)

    def problem(column: str, message) -> None:
        report.problems.append(RowProblem(csv_row.line, column, message))

    if csv_row.extra:
        problem("", EXTRA_CELLS)
    row.last_name = _name(values.get("nume", ""), "nume", LAST_NAME_MISSING, problem)
    row.first_name = _name(values.get("prenume", ""), "prenume", FIRST_NAME_MISSING, problem)
    try:
        row.cnp = cnp_validate(values.get("cnp", "")).value
    except ValidationError as error:
        problem("cnp", " ".join(error.messages))
    row.school_class = _class_of(values.get("clasa", ""), classes, year, chosen, problem)
    register = values.get("numar_matricol", "")
    if register:
        if register.isascii() and register.isdigit() and 1 <= int(register) <= 2_000_000_000:
            row.register_number = int(register)
        else:
            problem("numar_matricol", REGISTER_BAD)
    row.email = _email(values.get("email", ""), "email", problem)
    if any(values.get(column) for column in PARENT_COLUMNS):
        row.parent = _Parent(
            line=csv_row.line,
            last_name=_name(values.get("parinte_nume", ""), "parinte_nume", PARENT_LAST_NAME_MISSING, problem),
            first_name=_name(values.get("parinte_prenume", ""), "parinte_prenume", PARENT_FIRST_NAME_MISSING, problem),
            email=_email(values.get("parinte_email", ""), "parinte_email", problem, missing=PARENT_EMAIL_MISSING),
        )
    return row


def _name(value: str, column: str, missing, problem) -> str:
    """A name in Romanian letters (ș ț with a comma below), or "" after reporting what is wrong."""
    name = " ".join(unicodedata.normalize("NFC", value).translate(_CEDILLA_TO_COMMA).split())
    if not name:
        problem(column, missing)
    elif name.startswith(_FORMULA_START):  # a spreadsheet would run it as a formula
        problem(column, NAME_FORMULA)
    elif len(name) > 150 or has_control_characters(name):
        problem(column, NAME_BAD)
    else:
        return name
    return ""


def _email(value: str, column: str, problem, *, missing=None) -> str:
    email = value.strip().lower()
    if not email:
        if missing:
            problem(column, missing)
        return ""
    try:
        validate_email(email)
    except ValidationError:
        problem(column, EMAIL_BAD)
        return ""
    if email.startswith(_FORMULA_START):  # valid in RFC 5322, but a spreadsheet formula
        problem(column, EMAIL_BAD)
        return ""
    return email


def _class_of(value: str, classes: dict[str, SchoolClass], year: SchoolYear, chosen, problem) -> SchoolClass | None:
    if not value:
        if chosen is None:
            problem("clasa", CLASS_MISSING)
        return chosen
    found = classes.get(_class_key(value))
    if found is None:
        problem("clasa", CLASS_UNKNOWN.format(value=value[:40], year=year.name))
    elif chosen is not None and found != chosen:
        problem("clasa", CLASS_NOT_CHOSEN.format(value=found, chosen=chosen))
        return None
    return found


def class_find(*, year: SchoolYear, text: str) -> SchoolClass | None:
    """The class of `year` that `text` names („V A”, „a V-a A”, „5A”), if exactly one."""
    return _class_lookup(year).get(_class_key(text))


def class_finder(year: SchoolYear) -> Callable[[str], SchoolClass | None]:
    """The year's class a text names, however the school writes it (one query for many rows)."""
    lookup = _class_lookup(year)
    return lambda text: lookup.get(_class_key(text))


def _class_key(text: str) -> str:
    """ "VA" from „a V-a A”, „V A”, „Clasa a V-a A” or „v-a”: letters and digits, upper case."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().upper()
    key = re.sub(r"[^A-Z0-9]", "", ascii_text)
    return key.removeprefix("CLASA")


def _class_lookup(year: SchoolYear) -> dict[str, SchoolClass]:
    """The year's classes by every way of writing them („V A”, „a V-a A”, „V-a A”, „5A”, „pregătitoare A”, „0A”)."""
    found: dict[str, set[SchoolClass]] = defaultdict(set)
    for school_class in SchoolClass.objects.filter(year=year):
        level, letter = Level(school_class.level), school_class.letter
        names = [f"{int(level.value)} {letter}", f"{level.label} {letter}"]
        if level == Level.PREP:
            names.append(f"P {letter}")
        else:
            names += [f"{level.name} {letter}", f"{level.name}-a {letter}", f"a {level.name}-a {letter}"]
        for name in names:
            found[_class_key(name)].add(school_class)
    return {key: next(iter(matches)) for key, matches in found.items() if len(matches) == 1}


def _rows_check(rows: list[_Row], report: StudentImport) -> None:
    def problem(row, column: str, message) -> None:
        report.problems.append(RowProblem(row.line if isinstance(row, _Row | _Parent) else row, column, message))

    _unique_in_file(rows, lambda row: row.cnp, lambda row, first: problem(row, "cnp", CNP_IN_FILE.format(line=first)))
    taken = set(Student.objects.filter(cnp__in=[row.cnp for row in rows if row.cnp]).values_list("cnp", flat=True))
    for row in rows:
        if row.cnp in taken:
            problem(row, "cnp", CNP_TAKEN)
    _register_numbers_check(rows, problem)
    _emails_check(rows, problem)
    report.problems.sort(key=lambda p: (p.line or 0, COLUMNS.index(p.column) if p.column in COLUMNS else -1))


def _unique_in_file(rows: list[_Row], key, duplicate) -> None:
    first_line: dict = {}
    for row in rows:
        value = key(row)
        if not value:
            continue
        if value in first_line:
            duplicate(row, first_line[value])
        else:
            first_line[value] = row.line


def _register_numbers_check(rows: list[_Row], problem) -> None:
    numbered = [row for row in rows if row.register_number and row.school_class]

    def cycle(row: _Row) -> str:
        return level_cycle(row.school_class.level)

    _unique_in_file(
        numbered, lambda row: (cycle(row), row.register_number),
        lambda row, first: problem(row, "numar_matricol", REGISTER_IN_FILE.format(
            n=row.register_number, cycle=cycle(row), line=first
        )),
    )  # fmt: skip
    by_cycle: dict[str, set[int]] = defaultdict(set)
    for row in numbered:
        by_cycle[cycle(row)].add(row.register_number)
    taken = set()
    for name, numbers in by_cycle.items():
        used = Student.objects.filter(cycle=name, register_number__in=numbers).values_list("register_number", flat=True)
        taken |= {(name, number) for number in used}
    for row in numbered:
        if (cycle(row), row.register_number) in taken:
            problem(row, "numar_matricol", REGISTER_TAKEN.format(n=row.register_number, cycle=cycle(row)))


def _emails_check(rows: list[_Row], problem) -> None:
    """Students' e-mails are their own; a parent's e-mail names one parent (new or existing)."""
    student_lines: dict[str, int] = {}
    for row in rows:
        if row.email in student_lines:
            problem(row, "email", EMAIL_IN_FILE.format(line=student_lines[row.email]))
        elif row.email:
            student_lines[row.email] = row.line
    parents = [row.parent for row in rows if row.parent and row.parent.email]
    emails = set(student_lines) | {parent.email for parent in parents}
    accounts = {user.email_lower: user for user in _users_with_emails(emails)}
    for email, line in student_lines.items():
        if email in accounts:
            problem(line, "email", EMAIL_TAKEN)
    first_of: dict[str, _Parent] = {}
    for parent in parents:
        if parent.email in student_lines:
            problem(parent, "parinte_email", PARENT_IS_STUDENT.format(line=student_lines[parent.email]))
        elif parent.email in first_of:
            if _fold(parent) != _fold(first_of[parent.email]):
                problem(parent, "parinte_nume", PARENT_NAME_DIFFERS.format(line=first_of[parent.email].line))
        else:
            first_of[parent.email] = parent
            _parent_account_check(parent, accounts.get(parent.email), problem)


def _parent_account_check(parent: _Parent, account: User | None, problem) -> None:
    if account is None:
        return
    if not account.has_role(Role.PARENT):
        problem(parent, "parinte_email", PARENT_NOT_A_PARENT)
    elif _fold(parent) != _fold(account):
        problem(parent, "parinte_nume", PARENT_NAME_DIFFERS_FROM_ACCOUNT.format(name=account.get_full_name()))


def _users_with_emails(emails: set[str]):
    return User.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=emails) if emails else []


def _fold(person) -> str:
    """A person's name compared without case, diacritics or spacing („Ștefan” = „stefan”)."""
    return folded(f"{person.last_name} {person.first_name}")


def _rows_write(actor: User, year: SchoolYear, rows: list[_Row], report: StudentImport) -> None:
    """Every row through the services, in one transaction; rolled back for a dry run or a refusal."""
    with transaction.atomic(), audit_context(source=Source.IMPORT):
        parents: dict[str, User] = {}
        students: dict[int, Student] = {}
        # Kept register numbers first, so the counter moves past them before numbers are given.
        for row in sorted(rows, key=lambda row: row.register_number is None):
            try:
                students[row.line] = _row_write(actor, row, parents, report)
            except ValidationError as error:  # a race with another change: reported, all rolled back
                report.problems.append(RowProblem(row.line, "", " ".join(error.messages)))
        report.students = [students[line] for line in sorted(students)]
        audit_record(
            action=Action.STUDENTS_IMPORTED, actor=actor, obj=year,
            new={
                "rows": report.rows, "students": len(report.students), "parents_created": len(report.parents_created),
                "parents_reused": len(report.parents_reused), "links": report.links,
                "classes": sorted({str(row.school_class) for row in rows}),
            },
        )  # fmt: skip
        if report.problems or report.dry_run:
            transaction.set_rollback(True)


def _row_write(actor: User, row: _Row, parents: dict[str, User], report: StudentImport) -> Student:
    student = student_create(
        actor=actor, first_name=row.first_name, last_name=row.last_name, cnp=row.cnp, school_class=row.school_class,
        email=row.email, register_number=row.register_number,
    )  # fmt: skip
    if row.parent is None:
        return student
    parent = parents.get(row.parent.email)
    if parent is None:
        parent = User.objects.filter(email__iexact=row.parent.email).first()
        if parent is not None:
            report.parents_reused.append(parent)
        else:
            parent = user_create(
                actor=actor, first_name=row.parent.first_name, last_name=row.parent.last_name, roles=[Role.PARENT],
                email=row.parent.email,
            )  # fmt: skip
            report.parents_created.append(parent)
        parents[row.parent.email] = parent
    parent_link(actor=actor, parent=parent, student=student.user)
    report.links += 1
    return student


def students_import_queue(
    *, actor: User, year: SchoolYear, data: bytes, school_class: SchoolClass | None = None, file_name: str = "",
    rows: int = 0,
) -> ImportJob:  # fmt: skip
    """Keep a checked file for the background import and send the job once this transaction
    commits (a big file takes longer than a request may: 2,000 rows take most of a minute)."""
    from catalog.structure.tasks import students_import_job

    require_configurer(actor)
    require_open(year)
    return job_queue(
        students_import_job, kind=ImportJob.Kind.STUDENTS, actor=actor, year=year, data=data,
        school_class=school_class, file_name=file_name, rows=rows,
    )  # fmt: skip


def students_import_run(*, job_id: int) -> None:
    """Import a queued file of students and parents (the job's work; see `job_run`)."""
    job_run(job_id=job_id, label="job:students_import", work=_students_work, not_allowed=JOB_NOT_ALLOWED)


def _students_work(job: ImportJob) -> tuple[ImportReport, dict]:
    report = students_import(actor=job.created_by, year=job.year, data=bytes(job.data), school_class=job.school_class)
    return report, {
        "students": [student.pk for student in report.students],
        "parents_created": len(report.parents_created), "parents_reused": len(report.parents_reused),
        "links": report.links,
    }  # fmt: skip
