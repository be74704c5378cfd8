"""History from before 2022-23: a school's earlier years brought in from its previous catalog,
under the rules of their time (DOMAIN rule 8). A year before 2022-23 had two semesters and
an average per semester; with a written paper (teză) the semester average was
round((3·M + T)/4), M being the other grades' mean truncated at two decimals; the annual
average was the two semesters' mean, two decimals, truncated.

The director imports one CSV file per year, all or nothing (every row checked first, each
problem reported with its line and column): the page checks it (`legacy_check`) and a
background job imports it (`legacy_import_queue`, `legacy_import_run`). Columns (Romanian
header, `,` or `;`):

    cnp, disciplina, semestru, note, teza, medie

`cnp` names a student enrolled in one of the year's classes (the class they were in during
that semester); `disciplina` one of the school's subjects; `semestru` 1 or 2 (I or II).
`note` holds the semester's grades (classes V–XII) or calificative (I–IV), separated by
spaces; `teza` the written paper's grade, if there was one; `medie` the semester average (or
calificativ) as the old catalog shows it. Give the grades, the average or both: from the
grades the average is computed, and when both are given they must agree. Nothing is stored
of the annual average: it is computed from the two semesters when shown.
"""

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Role
from accounts.services import CsvRow, NotAllowed, csv_read
from audit.actions import Action
from audit.models import Source
from audit.services import audit_context, audit_record
from catalog.grades import averages
from catalog.grades.models import LegacyAverage
from catalog.structure.cnp import cnp_validate
from catalog.structure.imports import EXTRA_CELLS, ImportReport, RowProblem, file_text, folded, job_queue, job_run
from catalog.structure.models import (
    Enrolment,
    ImportJob,
    LearningPeriod,
    Scheme,
    SchoolClass,
    SchoolYear,
    Student,
    Subject,
)
from catalog.structure.services import require_open

COLUMNS = ("cnp", "disciplina", "semestru", "note", "teza", "medie")
REQUIRED = ("cnp", "disciplina", "semestru")
MAX_ROWS = 20_000
MAX_GRADES = 40  # in one semester, at one subject: more is a mistake in the file

ONLY_DIRECTOR = _("Doar directorul importă istoricul anilor de dinainte de 2022-2023.")
NOT_LEGACY = _(
    "Anul școlar {year} urmează regulile din 2022-2023: istoricul cu medii semestriale se importă doar în anii "
    "de dinainte."
)
NOT_SEMESTERS = _("Anul școlar {year} nu este împărțit în două semestre: configurați-l cu structura „2 semestre”.")
FILE_TOO_BIG = _("Fișierul are peste 2 MB: împărțiți-l în mai multe fișiere (de exemplu, câte unul pe clasă).")
CNP_UNKNOWN = _("Niciun elev cu acest CNP nu este înscris într-o clasă a anului școlar {year}.")
NOT_IN_A_CLASS = _("Elevul nu era în nicio clasă a școlii în semestrul {semester}.")
SUBJECT_UNKNOWN = _("Disciplina „{value}” nu există în școală (vedeți Configurare → Discipline).")
SEMESTER_BAD = _("Semestrul este 1 sau 2 (ori I sau II).")
DESCRIPTIVE = _("La clasa pregătitoare nu se dau note: rândul nu are ce importa.")
GRADES_BAD = _("Notele sunt numere întregi de la 1 la 10, despărțite prin spații (de exemplu: 9 9 8).")
CALIFICATIVE_BAD = _("La clasele I–IV se trec calificative (FB, B, S, I), despărțite prin spații.")
TOO_MANY_GRADES = _("Cel mult 40 de note pe semestru la o disciplină.")
THESIS_BAD = _("Teza este o notă întreagă de la 1 la 10.")
THESIS_PRIMARY = _("La clasele I–IV nu se dădea teză.")
THESIS_ALONE = _("Teza intră în medie împreună cu celelalte note ale semestrului: completați coloana „note”.")
AVERAGE_BAD = _("Media semestrială este o notă întreagă de la 1 la 10.")
CALIFICATIV_AVERAGE_BAD = _("Calificativul semestrial este FB, B, S sau I.")
NOTHING = _("Completați notele semestrului, media semestrială sau amândouă.")
TIE = _("Calificativele sunt la egalitate: scrieți calificativul semestrial în coloana „medie”.")
DIFFERS = _("Media din fișier ({given}) diferă de cea calculată din note și teză ({computed}).")
IN_FILE = _("Aceeași disciplină și același semestru ale elevului apar și pe rândul {line}.")
ALREADY = _("Media elevului la această disciplină în acest semestru este deja importată.")
JOB_NOT_ALLOWED = _("Contul care a încărcat fișierul nu mai este al directorului: istoricul nu s-a importat.")


@dataclass(frozen=True)
class LegacySubject:
    """A subject of a legacy year in a student's record: the two semesters and the annual average."""

    subject: Subject
    first: LegacyAverage | None
    second: LegacyAverage | None

    @property
    def annual(self) -> Decimal | None:
        """The semesters' mean truncated at two decimals (rule 8), when both are grades."""
        if self.first is None or self.second is None or self.first.value is None or self.second.value is None:
            return None
        return averages.legacy_annual_average(semesters=[self.first.value, self.second.value])


@dataclass
class LegacyImport(ImportReport):
    averages: int = 0  # the semester averages imported (or, by a check, found to import)
    students: int = 0  # ... and how many students they are of
    by_class: dict[str, int] = field(default_factory=dict)  # the averages per class ("a V-a A": n)


@dataclass
class _Row:
    line: int
    student: Student | None = None
    school_class: SchoolClass | None = None
    subject: Subject | None = None
    semester: int | None = None
    grades: list[str] = field(default_factory=list)
    thesis: int | None = None
    value: int | None = None
    calificativ: str = ""


def template_csv() -> str:
    """The file to fill in: the header only (`;` and a BOM, so Excel in Romanian opens it in columns)."""
    return "\ufeff" + ";".join(COLUMNS) + "\r\n"


def legacy_import(*, actor: User, year: SchoolYear, data: bytes) -> LegacyImport:
    """Import a legacy year's semester averages from a CSV file, all or nothing: a refused
    import writes nothing and returns the report of what was found. A full file takes
    seconds (most of it the server storing the rows and their history): the page checks it
    (`legacy_check`) and leaves the import to a job (`legacy_import_queue`)."""
    report, rows = _checked(actor=actor, year=year, data=data)
    if report.ok:
        _rows_write(actor, year, rows)
    return report


def legacy_check(*, actor: User, year: SchoolYear, data: bytes) -> LegacyImport:
    """Every check of `legacy_import`, and nothing written; the report counts what the
    import would store."""
    report, _rows = _checked(actor=actor, year=year, data=data)
    report.dry_run = True
    return report


def _checked(*, actor: User, year: SchoolYear, data: bytes) -> tuple[LegacyImport, list["_Row"]]:
    _require_legacy_year(actor, year)
    semesters = {period.number: period for period in year.periods.all()}
    if year.structure != SchoolYear.Structure.SEMESTERS or sorted(semesters) != [1, 2]:
        raise ValidationError(NOT_SEMESTERS.format(year=year.name), code="not_semesters")
    report = LegacyImport()
    text, problem = file_text(data, too_big=FILE_TOO_BIG)
    if problem:
        report.problems.append(RowProblem(None, "", problem))
        return report, []
    csv_rows, errors = csv_read(text, required=REQUIRED, allowed=COLUMNS, max_rows=MAX_ROWS)
    report.problems += [RowProblem(None, "", message) for message in errors]
    report.rows = len(csv_rows)
    lookup = _Lookup(year, semesters)
    rows = [_row_parse(row, lookup, report) for row in csv_rows]
    _rows_check(rows, report)
    if report.ok:
        report.averages, report.students = len(rows), len({row.student.pk for row in rows})
        by_class = Counter(row.school_class for row in rows)
        report.by_class = {school_class.short: by_class[school_class] for school_class in _in_order(by_class)}
    return report, rows


def _require_legacy_year(actor: User, year: SchoolYear) -> None:
    if not (actor.is_active and actor.has_role(Role.DIRECTOR)):
        raise NotAllowed(ONLY_DIRECTOR)
    require_open(year)
    if not year.legacy:
        raise ValidationError(NOT_LEGACY.format(year=year.name), code="not_legacy")


def _in_order(classes) -> list[SchoolClass]:
    return sorted(classes, key=lambda school_class: (school_class.level, school_class.letter))


def legacy_record(*, student: Student, school_class: SchoolClass) -> list[LegacySubject]:
    """A student's semester averages in a class of a legacy year, by subject in curriculum order."""
    found = LegacyAverage.objects.filter(student=student, school_class=school_class).select_related("subject")
    by_subject: dict[Subject, dict[int, LegacyAverage]] = defaultdict(dict)
    for average in found:
        by_subject[average.subject][average.semester] = average
    ordered = sorted(by_subject, key=lambda subject: (subject.position, subject.name))
    return [LegacySubject(subject, by_subject[subject].get(1), by_subject[subject].get(2)) for subject in ordered]


# -- one row -------------------------------------------------------------------------------


class _Lookup:
    """The year's students (by CNP, with their enrolments) and the school's subjects (by name)."""

    def __init__(self, year: SchoolYear, semesters: dict[int, LearningPeriod]):
        self.year, self.semesters = year, semesters
        self.enrolments: dict[str, list[Enrolment]] = defaultdict(list)
        enrolments = Enrolment.objects.filter(school_class__year=year).select_related("student", "school_class")
        for enrolment in enrolments.order_by("starts", "pk"):
            self.enrolments[enrolment.student.cnp].append(enrolment)
        self.subjects = {folded(subject.name): subject for subject in Subject.objects.all()}

    def enrolment(self, cnp: str, semester: int) -> Enrolment | None:
        """The class the student was in during the semester: the last one they entered before it ended."""
        period = self.semesters[semester]
        during = [
            enrolment for enrolment in self.enrolments[cnp]
            if enrolment.starts <= period.ends and (enrolment.ends is None or enrolment.ends >= period.starts)
        ]  # fmt: skip
        return during[-1] if during else None


def _row_parse(csv_row: CsvRow, lookup: _Lookup, report: LegacyImport) -> _Row:
    values, row = csv_row.values, _Row(line=csv_row.line)

    def problem(column: str, message) -> None:
        report.problems.append(RowProblem(csv_row.line, column, message))

    if csv_row.extra:
        problem("", EXTRA_CELLS)
    row.semester = {"1": 1, "I": 1, "2": 2, "II": 2}.get(values.get("semestru", "").upper())
    if row.semester is None:
        problem("semestru", SEMESTER_BAD)
    subject_name = values.get("disciplina", "")
    row.subject = lookup.subjects.get(folded(subject_name))
    if row.subject is None:
        problem("disciplina", SUBJECT_UNKNOWN.format(value=subject_name[:60]))
    try:
        cnp = cnp_validate(values.get("cnp", "")).value
    except ValidationError as error:
        problem("cnp", " ".join(error.messages))
        return row
    if not lookup.enrolments.get(cnp):
        problem("cnp", CNP_UNKNOWN.format(year=lookup.year.name))
        return row
    if row.semester is None:
        return row
    enrolment = lookup.enrolment(cnp, row.semester)
    if enrolment is None:
        problem("cnp", NOT_IN_A_CLASS.format(semester=row.semester))
        return row
    row.student, row.school_class = enrolment.student, enrolment.school_class
    if row.school_class.scheme == Scheme.DESCRIPTIVE:
        problem("", DESCRIPTIVE)
    elif row.school_class.scheme == Scheme.CALIFICATIVE:
        _calificative_parse(values, row, problem)
    else:
        _grades_parse(values, row, problem)
    return row


def _marks(text: str) -> list[str]:
    return [mark for mark in re.split(r"[\s,;/]+", text.upper()) if mark]


def _grade(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and 1 <= int(text) <= 10 else None


def _grades_parse(values: dict[str, str], row: _Row, problem) -> None:
    """Classes V–XII: grades, a written paper and the average, checked against each other."""
    marks = _marks(values.get("note", ""))
    grades = [_grade(mark) for mark in marks]
    if None in grades:
        return problem("note", GRADES_BAD)
    if len(grades) > MAX_GRADES:
        return problem("note", TOO_MANY_GRADES)
    thesis, given = values.get("teza", ""), values.get("medie", "")
    if thesis:
        row.thesis = _grade(thesis)
        if row.thesis is None:
            return problem("teza", THESIS_BAD)
        if not grades:
            return problem("teza", THESIS_ALONE)
    if given and _grade(given) is None:
        return problem("medie", AVERAGE_BAD)
    if not grades and not given:
        return problem("", NOTHING)
    row.grades = [str(grade) for grade in grades]
    row.value = _grade(given) if given else None
    if grades:
        computed = averages.legacy_semester_average(grades=grades, thesis=row.thesis)
        if row.value is not None and row.value != computed:
            return problem("medie", DIFFERS.format(given=row.value, computed=computed))
        row.value = computed


def _calificative_parse(values: dict[str, str], row: _Row, problem) -> None:
    """Classes I–IV: calificative and the semester's calificativ (the most frequent, unless given)."""
    marks = _marks(values.get("note", ""))
    if any(mark not in averages.CALIFICATIVE for mark in marks):
        return problem("note", CALIFICATIVE_BAD)
    if len(marks) > MAX_GRADES:
        return problem("note", TOO_MANY_GRADES)
    if values.get("teza", ""):
        return problem("teza", THESIS_PRIMARY)
    given = values.get("medie", "").upper()
    if given and given not in averages.CALIFICATIVE:
        return problem("medie", CALIFICATIV_AVERAGE_BAD)
    if not marks and not given:
        return problem("", NOTHING)
    row.grades = marks
    # Rule 9: the most frequent calificativ is a suggestion; the file's own choice stands.
    row.calificativ = given or averages.suggest_calificativ(marks) or ""
    if not row.calificativ:
        problem("medie", TIE)


# -- across rows and against the school ----------------------------------------------------


def _rows_check(rows: list[_Row], report: LegacyImport) -> None:
    complete = [row for row in rows if row.student and row.subject and (row.value or row.calificativ)]
    first: dict[tuple, int] = {}
    for row in complete:
        key = (row.student.pk, row.school_class.pk, row.subject.pk, row.semester)
        if key in first:
            report.problems.append(RowProblem(row.line, "semestru", IN_FILE.format(line=first[key])))
        else:
            first[key] = row.line
    stored = set(
        LegacyAverage.objects.filter(school_class__in={row.school_class for row in complete}).values_list(
            "student_id", "school_class_id", "subject_id", "semester"
        )
    )
    report.problems += [RowProblem(row.line, "semestru", ALREADY) for row in complete if _stored(row) in stored]
    order = {column: index for index, column in enumerate(COLUMNS)}
    report.problems.sort(key=lambda p: (p.line or 0, order.get(p.column, -1)))


def _stored(row: _Row) -> tuple:
    return row.student.pk, row.school_class.pk, row.subject.pk, row.semester


# -- writing -------------------------------------------------------------------------------


def _rows_write(actor: User, year: SchoolYear, rows: list[_Row]) -> None:
    """Every row in one transaction, with an audit event per class."""
    with transaction.atomic(), audit_context(source=Source.IMPORT):
        LegacyAverage.objects.bulk_create(
            LegacyAverage(
                student=row.student, school_class=row.school_class, subject=row.subject, semester=row.semester,
                grades=row.grades, thesis=row.thesis, value=row.value, calificativ=row.calificativ,
                imported_by=actor,
            )
            for row in rows
        )  # fmt: skip
        by_class: dict[SchoolClass, Counter] = defaultdict(Counter)
        for row in rows:
            by_class[row.school_class][row.subject.name] += 1
        for school_class in _in_order(by_class):
            audit_record(
                action=Action.LEGACY_IMPORTED, actor=actor, obj=school_class,
                new={
                    "year": year.name, "class": str(school_class),
                    "semester_averages": dict(sorted(by_class[school_class].items())),
                },
            )  # fmt: skip


# -- in the background ---------------------------------------------------------------------


def legacy_import_queue(*, actor: User, year: SchoolYear, data: bytes, file_name: str = "", rows: int = 0) -> ImportJob:
    """Keep a checked file for the background import and send the job once this transaction
    commits (a full file takes longer than a request should)."""
    from catalog.grades.tasks import legacy_import_job

    _require_legacy_year(actor, year)
    return job_queue(
        legacy_import_job, kind=ImportJob.Kind.LEGACY, actor=actor, year=year, data=data, file_name=file_name,
        rows=rows,
    )  # fmt: skip


def legacy_import_run(*, job_id: int) -> None:
    """Import a queued file of semester averages (the job's work; see imports.job_run)."""
    job_run(job_id=job_id, label="job:legacy_import", work=_legacy_work, not_allowed=JOB_NOT_ALLOWED)


def _legacy_work(job: ImportJob) -> tuple[LegacyImport, dict]:
    report = legacy_import(actor=job.created_by, year=job.year, data=bytes(job.data))
    return report, {"averages": report.averages, "students": report.students, "classes": report.by_class}
