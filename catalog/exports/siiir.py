"""A school year's catalog in SIIIR's concepts (DOMAIN rule 21).

A school with a private e-catalog must also report its students, grades and absences into
the Ministry's SIIIR, which documents no public interface. Catedra therefore describes the
year once, as SIIIR names things — the school unit (unitate), study formations (formațiuni
de studiu), students, the curriculum, grades, absences, averages, conduct, exemptions and
the year's results — and hands that description to an exporter (`catalog.exports.formats`):
files today (CSV, XLSX), an API adapter when the Ministry publishes one.

Every sheet loads in one query, whatever the school's size; rows come sorted as the
catalog lists them (classes in level order, students alphabetically, subjects in
curriculum order: DOMAIN rule 20).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import Q
from django.utils import timezone

from catalog.attendance.models import Absence, Excusal
from catalog.grades.models import Average, ConductGrade, Grade, YearResult
from catalog.structure.identity import SchoolIdentity
from catalog.structure.models import (
    CurriculumEntry,
    Cycle,
    Enrolment,
    Exemption,
    SchoolClass,
    SchoolYear,
    level_cycle,
)

YES, NO = "DA", "NU"


@dataclass(frozen=True)
class Sheet:
    """One SIIIR concept: a file of the CSV export, a worksheet of the XLSX one."""

    name: str
    columns: tuple[str, ...]
    rows: list[tuple]


@dataclass(frozen=True)
class Dataset:
    school: SchoolIdentity
    year: SchoolYear
    since: date | None
    until: date | None
    generated_at: timezone.datetime
    sheets: list[Sheet]

    def counts(self) -> dict[str, int]:
        return {sheet.name: len(sheet.rows) for sheet in self.sheets}


def siiir_dataset(
    *, school: SchoolIdentity, year: SchoolYear, since: date | None = None, until: date | None = None
) -> Dataset:
    """The year in SIIIR's concepts. `since`/`until` limit the dated records (grades and
    absences) to an interval, for a periodic report; everything else is the year's state."""
    generated_at = timezone.localtime()
    classes = list(SchoolClass.objects.filter(year=year).select_related("homeroom").order_by("level", "letter"))
    labels = {school_class.pk: class_label(school_class) for school_class in classes}
    dated = _interval(since, until)
    sheets = [
        _unit(school, year, since, until, generated_at),
        _formations(classes, year),
        _students(year, labels),
        _curriculum(year, labels),
        _grades(year, labels, dated),
        _absences(year, labels, dated),
        _averages(year, labels),
        _conduct(year, labels),
        _exemptions(year),
        _results(year, labels),
    ]
    return Dataset(
        school=school, year=year, since=since, until=until, generated_at=generated_at, sheets=sheets
    )  # fmt: skip


def class_label(school_class: SchoolClass) -> str:
    """The formation's name as SIIIR shows it: "a V-a A", "pregătitoare B", "I C"."""
    return f"{school_class.get_level_display()} {school_class.letter}"


def _interval(since: date | None, until: date | None) -> Q:
    dated = Q()
    if since is not None:
        dated &= Q(on__gte=since)
    if until is not None:
        dated &= Q(on__lte=until)
    return dated


def _unit(school, year, since, until, generated_at) -> Sheet:
    return Sheet(
        "unitate",
        ("cod_siiir", "denumire", "cui", "judet", "localitate", "an_scolar", "perioada_de_la", "perioada_pana_la",
         "generat_la"),
        [(school.siiir_code, school.name, school.cui, school.county, school.locality, year.name,
          since or year.starts, until or year.ends, generated_at.replace(microsecond=0, tzinfo=None))],
    )  # fmt: skip


def _formations(classes: list[SchoolClass], year: SchoolYear) -> Sheet:
    rows = [
        (
            class_label(school_class), school_class.get_level_display(),
            str(Cycle(level_cycle(school_class.level)).label), YES if school_class.technological else NO,
            school_class.homeroom.get_full_name() if school_class.homeroom else "", year.name,
        )
        for school_class in classes
    ]  # fmt: skip
    return Sheet("formatiuni", ("formatiune", "nivel", "ciclu", "tehnologic", "invatator_diriginte", "an_scolar"), rows)


def _students(year: SchoolYear, labels: dict[int, str]) -> Sheet:
    enrolments = (
        Enrolment.objects.filter(school_class__year=year)
        .select_related("student__user", "school_class")
        .order_by("school_class__level", "school_class__letter", "student__user__last_name",
                  "student__user__first_name", "starts", "pk")
    )  # fmt: skip
    entries, exits = dict(Enrolment.Entry.choices), dict(Enrolment.Exit.choices)
    rows = [
        (
            enrolment.student.cnp, enrolment.student.user.last_name, enrolment.student.user.first_name,
            enrolment.student.register_number, enrolment.student.get_cycle_display(),
            labels[enrolment.school_class_id], enrolment.starts, str(entries.get(enrolment.entry, enrolment.entry)),
            enrolment.ends, str(exits.get(enrolment.exit, "")), enrolment.note,
        )
        for enrolment in enrolments
    ]  # fmt: skip
    columns = ("cnp", "nume", "prenume", "numar_matricol", "ciclu", "formatiune", "data_inscrierii", "mod_inscriere",
               "data_plecarii", "mod_plecare", "mentiuni")  # fmt: skip
    return Sheet("elevi", columns, rows)


def _curriculum(year: SchoolYear, labels: dict[int, str]) -> Sheet:
    entries = (
        CurriculumEntry.objects.filter(school_class__year=year)
        .order_by("school_class__level", "school_class__letter", "subject__position", "subject__name")
        .values_list("school_class_id", "subject__name", "weekly_hours", "yearly_hours")
    )
    rows = [(labels[class_id], subject, weekly, yearly) for class_id, subject, weekly, yearly in entries]
    return Sheet("plan_cadru", ("formatiune", "disciplina", "ore_pe_saptamana", "ore_pe_an"), rows)


# Per student and subject, in the catalog's order (rule 20): class, student, subject, day.
_CATALOG_ORDER = ("school_class__level", "school_class__letter", "student__user__last_name",
                  "student__user__first_name", "student_id", "subject__position", "subject__name")  # fmt: skip


def _grades(year: SchoolYear, labels: dict[int, str], dated: Q) -> Sheet:
    kinds = dict(Grade.Kind.choices)
    grades = (
        Grade.objects.filter(dated, school_class__year=year)
        .order_by(*_CATALOG_ORDER, "on", "pk")
        .values_list("student__cnp", "school_class_id", "subject__name", "module__name", "on", "value",
                     "calificativ", "kind")
    )  # fmt: skip
    rows = [
        (cnp, labels[class_id], subject, module or "", on, value, calificativ, str(kinds.get(kind, "")))
        for cnp, class_id, subject, module, on, value, calificativ, kind in grades
    ]
    columns = ("cnp", "formatiune", "disciplina", "modul", "data", "nota", "calificativ", "tip")
    return Sheet("note", columns, rows)


def _absences(year: SchoolYear, labels: dict[int, str], dated: Q) -> Sheet:
    reasons = dict(Excusal.Reason.choices)
    absences = (
        Absence.objects.filter(dated, school_class__year=year)
        .order_by(*_CATALOG_ORDER, "on", "hour", "pk")
        .values_list("student__cnp", "school_class_id", "subject__name", "on", "hour", "excusal__reason",
                     "excusal__document", "excusal__document_date")
    )  # fmt: skip
    rows = [
        (cnp, labels[class_id], subject, on, hour, YES if reason else NO, str(reasons.get(reason, "")),
         document or "", document_date)
        for cnp, class_id, subject, on, hour, reason, document, document_date in absences
    ]  # fmt: skip
    columns = ("cnp", "formatiune", "disciplina", "data", "ora", "motivata", "motiv", "document", "data_document")
    return Sheet("absente", columns, rows)


def _averages(year: SchoolYear, labels: dict[int, str]) -> Sheet:
    averages = (
        Average.objects.filter(school_class__year=year)
        .order_by(*_CATALOG_ORDER, "module__starts", "pk")
        .values_list("student__cnp", "school_class_id", "subject__name", "module__name", "value", "calificativ",
                     "closed")
    )  # fmt: skip
    rows = [
        (cnp, labels[class_id], subject, module or "", value, calificativ, YES if closed else NO)
        for cnp, class_id, subject, module, value, calificativ, closed in averages
    ]
    return Sheet("medii", ("cnp", "formatiune", "disciplina", "modul", "medie", "calificativ", "incheiata"), rows)


def _conduct(year: SchoolYear, labels: dict[int, str]) -> Sheet:
    grades = (
        ConductGrade.objects.filter(school_class__year=year)
        .order_by("school_class__level", "school_class__letter", "student__user__last_name",
                  "student__user__first_name", "student_id", "period__number")
        .values_list("student__cnp", "school_class_id", "period__name", "value", "calificativ")
    )  # fmt: skip
    rows = [(cnp, labels[class_id], period, value, calificativ) for cnp, class_id, period, value, calificativ in grades]
    return Sheet("purtare", ("cnp", "formatiune", "perioada", "nota", "calificativ"), rows)


def _exemptions(year: SchoolYear) -> Sheet:
    kinds = dict(Exemption.Kind.choices)
    exemptions = (
        Exemption.objects.filter(year=year)
        .order_by("student__user__last_name", "student__user__first_name", "student_id", "subject__position")
        .values_list("student__cnp", "subject__name", "kind", "document", "document_date")
    )
    rows = [
        (cnp, subject, str(kinds.get(kind, kind)), document, document_date)
        for cnp, subject, kind, document, document_date in exemptions
    ]
    return Sheet("scutiri", ("cnp", "disciplina", "tip", "document", "data_document"), rows)


def _results(year: SchoolYear, labels: dict[int, str]) -> Sheet:
    statuses = dict(YearResult.Status.choices)
    results = (
        YearResult.objects.filter(school_class__year=year)
        .order_by("school_class__level", "school_class__letter", "student__user__last_name",
                  "student__user__first_name", "student_id")
        .values_list("student__cnp", "school_class_id", "status", "general_average", "conduct", "failed", "deferred")
    )  # fmt: skip
    rows = [
        (cnp, labels[class_id], str(statuses.get(status, status)), general, conduct, _joined(failed),
         _joined(deferred))
        for cnp, class_id, status, general, conduct, failed, deferred in results
    ]  # fmt: skip
    columns = ("cnp", "formatiune", "situatie", "medie_generala", "purtare", "corigent_la", "amanat_la")
    return Sheet("situatie_anuala", columns, rows)


def _joined(names: Iterable[str]) -> str:
    return "; ".join(str(name) for name in names or ())
