"""The year's results per student, end to end through the services (rules 6, 7, 10, 11)."""

from datetime import timedelta
from decimal import Decimal

from catalog.attendance.models import Absence
from catalog.grades import services as grades
from catalog.grades.averages import Status
from catalog.grades.selectors import class_standings
from catalog.structure import services as structure
from catalog.structure.models import Exemption


def grade_and_close(cast, student, teacher, subject, values):
    for value in values:
        grades.grade_add(
            teacher=teacher, student=student, school_class=cast.class_5a, subject=subject, on=cast.day, value=value
        )
    return grades.average_close(teacher=teacher, student=student, school_class=cast.class_5a, subject=subject)


def conduct_everywhere(cast, student, value):
    for period in cast.year.periods.all():
        grades.conduct_set(homeroom=cast.elena, student=student, school_class=cast.class_5a, period=period, value=value)


def standing_of(cast, student, **options):
    return next(s for s in class_standings(school_class=cast.class_5a, **options) if s.student == student)


def exempt_from_pe_and_religion(cast, student):
    structure.exemption_set(
        actor=cast.admin,
        student=student,
        year=cast.year,
        subject=cast.pe,
        kind=Exemption.Kind.MEDICAL,
        document="7",
        document_date=cast.year.starts,
    )
    structure.exemption_set(
        actor=cast.admin, student=student, year=cast.year, subject=cast.religion, kind=Exemption.Kind.NO_RELIGION
    )


def test_a_student_with_every_average_closed_gets_the_general_average_and_promovat(cast):
    exempt_from_pe_and_religion(cast, cast.ana)  # rule 7: both leave the averages
    grade_and_close(cast, cast.ana, cast.mihai, cast.math, [10, 9, 9])
    grade_and_close(cast, cast.ana, cast.elena, cast.romanian, [8, 8, 9])
    conduct_everywhere(cast, cast.ana, 10)
    standing = standing_of(cast, cast.ana)
    assert standing.subject_averages == {"Limba și literatura română": 8, "Matematică": 9}
    assert standing.conduct == Decimal("10.00")
    assert standing.general_average == Decimal("9.00")  # (8 + 9 + 10) / 3
    assert standing.status.status == Status.PROMOVAT


def test_unexcused_absences_lower_conduct_and_conduct_below_six_means_repetent(cast):
    exempt_from_pe_and_religion(cast, cast.ana)
    grade_and_close(cast, cast.ana, cast.mihai, cast.math, [10])
    grade_and_close(cast, cast.ana, cast.elena, cast.romanian, [10])
    conduct_everywhere(cast, cast.ana, 7)
    days = [cast.year.starts + timedelta(days=n) for n in range(7)]
    Absence.objects.bulk_create(  # 42 unexcused hours: 2 points (rule 10)
        Absence(student=cast.ana, school_class=cast.class_5a, subject=cast.romanian, teacher=cast.elena, on=d, hour=h)
        for d in days for h in range(1, 7)
    )  # fmt: skip
    standing = standing_of(cast, cast.ana)
    assert standing.conduct < 6
    assert standing.status.status == Status.REPETENT


def test_one_or_two_failed_subjects_make_a_corigent_and_an_open_subject_an_amanat(cast):
    exempt_from_pe_and_religion(cast, cast.ana)
    grade_and_close(cast, cast.ana, cast.mihai, cast.math, [4, 4, 5])
    grade_and_close(cast, cast.ana, cast.elena, cast.romanian, [9])
    conduct_everywhere(cast, cast.ana, 10)
    standing = standing_of(cast, cast.ana)
    assert (standing.status.status, standing.status.failed) == (Status.CORIGENT, ("Matematică",))
    assert standing_of(cast, cast.bogdan).status.status == Status.AMANAT  # nothing closed yet


def test_provisional_standings_use_the_grades_given_so_far(cast):
    grades.grade_add(
        teacher=cast.mihai, student=cast.bogdan, school_class=cast.class_5a, subject=cast.math, on=cast.day, value=3
    )
    standing = standing_of(cast, cast.bogdan, provisional=True)
    assert standing.subject_averages["Matematică"] == 3
    assert standing.subject_averages["Educație fizică"] is None


def test_a_student_who_gives_up_religion_during_the_year_leaves_its_grades_out_of_the_averages(cast):
    """Rule 7: the grades given at religion before the option changed stay recorded, but the
    subject no longer counts: neither a failing average there nor the medie generală."""
    structure.exemption_set(
        actor=cast.admin, student=cast.ana, year=cast.year, subject=cast.pe, kind=Exemption.Kind.MEDICAL,
        document="7", document_date=cast.year.starts,
    )  # fmt: skip
    grade_and_close(cast, cast.ana, cast.mihai, cast.math, [10, 9, 9])
    grade_and_close(cast, cast.ana, cast.elena, cast.romanian, [8, 8, 9])
    for value in (4, 4):
        grades.grade_add(
            teacher=cast.elena, student=cast.ana, school_class=cast.class_5a, subject=cast.religion, on=cast.day,
            value=value,
        )  # fmt: skip
    conduct_everywhere(cast, cast.ana, 10)
    before = standing_of(cast, cast.ana, provisional=True)
    assert (before.subject_averages["Religie"], before.status.status) == (4, Status.CORIGENT)

    structure.exemption_set(
        actor=cast.admin, student=cast.ana, year=cast.year, subject=cast.religion, kind=Exemption.Kind.NO_RELIGION
    )

    after = standing_of(cast, cast.ana, provisional=True)
    assert after.subject_averages == {"Limba și literatura română": 8, "Matematică": 9}
    assert (after.general_average, after.status.status) == (Decimal("9.00"), Status.PROMOVAT)
    assert standing_of(cast, cast.ana).status.status == Status.PROMOVAT
