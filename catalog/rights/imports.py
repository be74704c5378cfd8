"""A school year's teaching assignments from one CSV file, as one request the director approves
in one step (Order 3896/2023 art. 15): the start of the year without a form per assignment.

All or nothing: every row is checked first (each problem reported with its line); if any row
is wrong, nothing is asked for. The file's columns (Romanian header, `,` or `;`):

    clasa, disciplina, profesor, de_la, pana_la

`clasa` as the school writes it („a V-a A”, „V A”, „5A”), `disciplina` by its name (case and
diacritics do not matter) and in the class's curriculum, `profesor` by user name or e-mail
(an active teacher of the school). `de_la` and `pana_la` (dd.mm.yyyy), both or neither, make
the row a substitute's temporary grant."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Role
from accounts.services import csv_read
from catalog.rights.models import RightsChange, RightsRequest
from catalog.rights.services import change_check, rights_ask
from catalog.structure.imports import file_text, folded
from catalog.structure.imports.students import class_finder
from catalog.structure.models import SchoolYear, Subject

COLUMNS = ("clasa", "disciplina", "profesor", "de_la", "pana_la")
REQUIRED = ("clasa", "disciplina", "profesor")
MAX_ROWS = 3000

ROW = _("Rândul {line}: {problem}")
CLASS_UNKNOWN = _("clasa „{value}” nu există în anul {year}.")
SUBJECT_UNKNOWN = _("disciplina „{value}” nu există.")
TEACHER_UNKNOWN = _("„{value}” nu este un profesor activ al școlii (nume de utilizator sau e-mail).")
DATE_BAD = _("data „{value}” nu este validă (zz.ll.aaaa).")
TWICE = _("încadrarea apare de două ori în fișier.")


def assignments_import(*, actor: User, year: SchoolYear, data: bytes, why: str = "") -> RightsRequest:
    """One request with the file's assignments; ValidationError (a message per problem, in
    Romanian) and nothing asked for when any row is wrong."""
    text, problem = file_text(data)
    if problem:
        raise ValidationError([problem])
    rows, problems = csv_read(text, required=REQUIRED, allowed=COLUMNS, max_rows=MAX_ROWS)
    if problems:
        raise ValidationError(problems)
    find_class = class_finder(year)
    subjects = {folded(subject.name): subject for subject in Subject.objects.all()}
    teachers = _teachers({row.values.get("profesor", "") for row in rows})
    changes, problems, seen = [], [], set()
    for row in rows:
        found = _row(row.values, find_class, subjects, teachers, year)
        if isinstance(found, str):
            problems.append(str(ROW).format(line=row.line, problem=found))
            continue
        key = (found.person.pk, found.school_class.pk, found.subject.pk)
        if key in seen:
            problems.append(str(ROW).format(line=row.line, problem=TWICE))
            continue
        seen.add(key)
        try:
            change_check(found)  # the same checks as a request from a page
        except ValidationError as error:
            problems.extend(str(ROW).format(line=row.line, problem=message) for message in error.messages)
            continue
        changes.append(found)
    if problems:
        raise ValidationError(problems)
    why = why or str(_("Încadrările din fișierul CSV ({n} rânduri)")).format(n=len(changes))
    return rights_ask(actor=actor, changes=changes, why=why, origin=RightsRequest.Origin.IMPORT)


def _teachers(names: set[str]) -> dict[str, User]:
    """The active teachers named in the file, by user name and by e-mail (lower case)."""
    wanted = {name.lower() for name in names if name}
    found = User.objects.filter(
        Q(username__in=wanted) | Q(email__in=wanted), is_active=True, roles__contains=[Role.TEACHER]
    )
    return {key: user for user in found for key in (user.username.lower(), user.email.lower()) if key}


def _row(values: dict, find_class, subjects: dict, teachers: dict, year: SchoolYear) -> RightsChange | str:
    """The row's change, or what is wrong with it."""
    school_class = find_class(values.get("clasa", ""))
    if school_class is None:
        return str(CLASS_UNKNOWN).format(value=values.get("clasa", "")[:40], year=year.name)
    subject = subjects.get(folded(values.get("disciplina", "")))
    if subject is None:
        return str(SUBJECT_UNKNOWN).format(value=values.get("disciplina", "")[:60])
    teacher = teachers.get(values.get("profesor", "").lower())
    if teacher is None:
        return str(TEACHER_UNKNOWN).format(value=values.get("profesor", "")[:60])
    starts, ends = (_day(values.get(name, "")) for name in ("de_la", "pana_la"))
    for name, day in (("de_la", starts), ("pana_la", ends)):
        if day is False:
            return str(DATE_BAD).format(value=values.get(name, "")[:20])
    kind = RightsChange.Kind.GRANT if (starts or ends) else RightsChange.Kind.ASSIGNMENT
    return RightsChange(kind=kind, person=teacher, school_class=school_class, subject=subject, starts=starts or None,
                        ends=ends or None)  # fmt: skip


def _day(text: str) -> date | None | bool:
    """The date, None when empty, False when it is not a date."""
    text = text.strip()
    if not text:
        return None
    for form in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, form).date()  # noqa: DTZ007 - a calendar day, no time
        except ValueError:
            continue
    return False
