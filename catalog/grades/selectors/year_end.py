"""Reads for the year's end: the classes and their results, the exams waiting, the conduct
and descriptive reports already written."""

from django.db.models import Count

from catalog.grades.models import (
    ConductGrade,
    DescriptiveReport,
    Exam,
    YearResult,
)
from catalog.grades.selectors.standings import discipline_name
from catalog.structure.models import (
    CurricularModule,
    SchoolClass,
    SchoolYear,
    Student,
)


def conduct_shown(*, school_class: SchoolClass, period) -> dict[int, str]:
    """The conduct grades set in a class for a period, as shown, by student id. One query."""
    return {c.student_id: c.shown for c in ConductGrade.objects.filter(school_class=school_class, period=period)}


def descriptive_texts(*, student: Student, school_class: SchoolClass) -> dict[str, str]:
    """A preparatory class student's evaluation, by development area (rule 1). One query."""
    return dict(
        DescriptiveReport.objects.filter(student=student, school_class=school_class).values_list("area", "text")
    )


def year_classes(year: SchoolYear) -> list[tuple]:
    """The year's classes at its end: (class, its closing or None, [(status label, count of
    results)]). Two queries."""
    classes = list(year.classes.select_related("homeroom", "closing").order_by("level", "letter"))
    results = YearResult.objects.filter(school_class__year=year).values_list("school_class_id", "status")
    counts = {(class_id, status): n for class_id, status, n in results.annotate(n=Count("id"))}
    return [
        (c, getattr(c, "closing", None), [(label, counts[c.pk, s]) for s, label in YearResult.Status.choices
                                          if (c.pk, s) in counts])
        for c in classes
    ]  # fmt: skip


def exams_pending(year: SchoolYear) -> list[dict]:
    """Each result waiting for an exam, with its disciplines (corigență or încheierea situației):
    subjects, and the curricular modules of the technological classes."""
    results = YearResult.objects.filter(
        school_class__year=year, status__in=[YearResult.Status.CORIGENT, YearResult.Status.AMANAT]
    ).select_related("student__user", "school_class")
    disciplines = {}  # (class id, discipline name) -> (subject id, module id)
    for class_id, subject_id, name in year.classes.values_list(
        "pk", "curriculum__subject_id", "curriculum__subject__name"
    ):
        disciplines[class_id, name] = (subject_id, None)
    for module in CurricularModule.objects.filter(school_class__year=year).select_related("subject"):
        disciplines[module.school_class_id, discipline_name(module.subject, module)] = (
            module.subject_id, module.pk
        )  # fmt: skip
    pending = []
    for result in sorted(results, key=lambda r: (r.school_class.level, r.school_class.letter, str(r.student))):
        kind, names = (
            (Exam.Kind.RESIT, result.failed)
            if result.status == YearResult.Status.CORIGENT
            else (Exam.Kind.DEFERRED, result.deferred)
        )
        for name in names:
            subject_id, module_id = disciplines.get((result.school_class_id, name), (None, None))
            pending.append(
                {"result": result, "subject_name": name, "subject_id": subject_id, "module_id": module_id, "kind": kind}
            )
    return pending
