"""Reads of a school's structure."""

from collections.abc import Iterable
from datetime import date

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User
from catalog.structure.models import (
    BellHour,
    Enrolment,
    Exemption,
    Holiday,
    LearningPeriod,
    PeriodEnd,
    SchoolClass,
    SchoolYear,
    Student,
    Subject,
    TeachingAssignment,
    TimetableSlot,
)
from catedra.text import by_name


def class_ends(school_class: SchoolClass) -> date:
    """The last day of the year for `school_class`: the year's end, or an earlier end of its
    last period set for its level (VIII, XII, technological classes)."""
    last = school_class.year.periods.order_by("-number").first()
    if last is None:
        return school_class.year.ends
    return period_ends(last, school_class, default=school_class.year.ends)


def period_ends(period: LearningPeriod, school_class: SchoolClass, *, default: date | None = None) -> date:
    """The last day of `period` for `school_class`: the end set for its level (and for
    technological classes, when one is), else `default` or the period's own end."""
    variation = (
        PeriodEnd.objects.filter(
            period=period, level=school_class.level, technological__in=[False, school_class.technological]
        )
        .order_by("-technological")
        .first()
    )
    if variation:
        return variation.ends
    return default or period.ends


def holiday_on(year: SchoolYear, on: date) -> Holiday | None:
    return Holiday.objects.filter(year=year, starts__lte=on, ends__gte=on).first()


def year_current(on: date | None = None) -> SchoolYear | None:
    """The school year that holds `on` (today), else the latest one that started before it."""
    on = on or timezone.localdate()
    years = SchoolYear.objects.select_related("rule_set")
    return years.filter(starts__lte=on, ends__gte=on).first() or years.filter(starts__lte=on).first()


def enrolments_active(school_class: SchoolClass, on: date | None = None) -> list[Enrolment]:
    """Enrolments of the class on `on` (default: all who have not left), in Romanian
    alphabetical order (rule 20: Ș after S, whatever the database's collation)."""
    enrolments = Enrolment.objects.filter(school_class=school_class)
    if on is None:
        enrolments = enrolments.filter(ends__isnull=True)
    else:
        enrolments = enrolments.filter(Q(ends__isnull=True) | Q(ends__gte=on), starts__lte=on)
    return sorted(enrolments.select_related("student__user"), key=lambda e: by_name(e.student.user))


def record_of(school_class: SchoolClass, enrolments: Iterable[Enrolment], *, dated: str = "on") -> Q:
    """The rows (grades, absences, conduct grades) that make up the class's catalog for these
    enrolments: those recorded in the class and, for a student who moved in from a parallel
    class this year, those recorded in the classes they left, dated before the move. A paper
    catalog has them transcribed at the move, so the year's averages, minimum grades, absence
    deductions and thresholds count the whole year (DOMAIN rules 3, 5, 10, 11, 17), not only
    the part spent in this class. `dated` names the rows' date field. Filter the students too:
    the class's own rows include those of students who left it."""
    scope = Q(school_class=school_class)
    for enrolment in enrolments:
        if enrolment.entry == Enrolment.Entry.MOVED:
            scope |= Q(
                student_id=enrolment.student_id, school_class__year_id=school_class.year_id,
                **{f"{dated}__lt": enrolment.starts},
            )  # fmt: skip
    return scope


def is_enrolled(student: Student, school_class: SchoolClass, on: date) -> bool:
    return (
        Enrolment.objects.filter(student=student, school_class=school_class, starts__lte=on)
        .filter(Q(ends__isnull=True) | Q(ends__gte=on))
        .exists()
    )


def assignment_in_force(teacher: User, school_class: SchoolClass, subject: Subject) -> TeachingAssignment | None:
    """The teacher's assignment (or grant) that gives them the subject in the class today."""
    return (
        TeachingAssignment.objects.in_force()
        .filter(teacher=teacher, school_class=school_class, subject=subject)
        .first()
    )


def teaches(teacher: User, school_class: SchoolClass, subject: Subject) -> bool:
    return (
        TeachingAssignment.objects.in_force()
        .filter(teacher=teacher, school_class=school_class, subject=subject)
        .exists()
    )


def assignments_of(teacher: User, year: SchoolYear) -> QuerySet[TeachingAssignment]:
    """The teacher's assignments in force in `year` (a temporary grant only while it lasts)."""
    return (
        TeachingAssignment.objects.in_force()
        .filter(teacher=teacher, school_class__year=year)
        .select_related("school_class", "subject")
        .order_by("school_class__level", "school_class__letter", "subject__position")
    )


def exemption_of(student: Student, year: SchoolYear, subject: Subject) -> Exemption | None:
    return Exemption.objects.filter(student=student, year=year, subject=subject).first()


def children_records(parent: User) -> list[Student]:
    """The register records of `parent`'s children (rule 19), alphabetically."""
    return sorted(
        Student.objects.filter(user__parent_links__parent=parent).select_related("user"), key=lambda s: by_name(s.user)
    )


def class_of(student: Student, year: SchoolYear) -> SchoolClass | None:
    """The class `student` is (or was last) in during `year`."""
    enrolment = (
        Enrolment.objects.filter(student=student, school_class__year=year)
        .select_related("school_class__year")
        .order_by("-starts")
        .first()
    )
    return enrolment.school_class if enrolment else None


def hour_taught(school_class: SchoolClass, subject: Subject, day: date, now=None) -> int | None:
    """The class hour the gradebook opens at for `subject` on `day`: the timetable's hour of the
    subject that day (the one under way or the last begun, when `day` is today; else the first),
    or, without one, the bell's hour under way today; None when nothing says."""
    now = now or timezone.localtime()
    bell = {h.number: h for h in BellHour.objects.all()}
    today = day == now.date()
    clock = now.time()
    hours = sorted(
        TimetableSlot.objects.filter(school_class=school_class, subject=subject, weekday=day.isoweekday())
        .values_list("hour", flat=True)
    )  # fmt: skip
    if hours:
        if today:
            begun = [h for h in hours if h in bell and bell[h].starts <= clock]
            if begun:
                return begun[-1]
        return hours[0]
    if today:
        return next((n for n, h in sorted(bell.items()) if h.starts <= clock <= h.ends), None)
    return None
