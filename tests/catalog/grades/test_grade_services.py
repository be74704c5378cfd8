from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from audit.actions import Action
from audit.models import AuditEvent
from catalog.grades import services as grades
from catalog.grades.models import Average, Grade
from catalog.structure import services as structure
from catalog.structure.guards import ADMIN_MAY_NOT_WRITE, NOT_ASSIGNED, REASON_REQUIRED
from catalog.structure.models import Exemption, Level, Scheme
from catalog.web.forms import GradeForm
from tests.catalog.conftest import cnp_for


def add(cast, **overrides):
    fields = {
        "teacher": cast.mihai, "student": cast.ana, "school_class": cast.class_5a, "subject": cast.math,
        "on": cast.day, "value": 9,
    }  # fmt: skip
    return grades.grade_add(**(fields | overrides))


def counts():
    return Grade.objects.count(), AuditEvent.objects.count()


def test_a_teacher_adds_a_grade_in_their_assignment_and_it_is_audited(cast):
    grade = add(cast, kind=Grade.Kind.WRITTEN)
    assert str(grade) == f"9/{cast.day:%d.%m}"
    event = AuditEvent.objects.filter(action=Action.GRADE_ADDED).get()
    assert (event.actor_id, event.person_id, event.object_id) == (cast.mihai.pk, cast.ana.user.pk, str(grade.pk))
    assert event.new_values["value"] == 9 and event.new_values["subject"] == "Matematică"


@pytest.mark.parametrize("text", ["0", "11", "7.5", "10a", "", " ", "-1", "١٠", "09", "1 0", "nouă"])
def test_what_is_not_a_grade_is_refused_with_a_romanian_message(text):
    with pytest.raises(ValidationError) as refused:
        grades.value_parse(text, scheme=Scheme.GRADES)
    assert refused.value.messages == [str(grades.GRADE_INVALID)]


@pytest.mark.parametrize(
    "text, expected", [("1", (1, "")), (" 10 ", (10, "")), ("fb", (None, "FB")), ("I", (None, "I"))]
)
def test_grades_and_calificative_are_read_from_what_was_typed(text, expected):
    scheme = Scheme.GRADES if expected[0] else Scheme.CALIFICATIVE
    assert grades.value_parse(text, scheme=scheme) == expected


@pytest.mark.parametrize("value", [0, 11, 7.5, "10a", "9", True, None])
def test_the_service_refuses_bad_values_and_changes_nothing(cast, value):
    before = counts()
    with pytest.raises(ValidationError):
        add(cast, value=value)
    assert counts() == before


def test_a_date_outside_the_school_year_or_in_the_future_is_refused(cast):
    before = counts()
    for on in (cast.year.starts - timedelta(days=1), cast.year.ends + timedelta(days=1)):
        with pytest.raises(ValidationError, match="anul școlar"):
            add(cast, on=on)
    with pytest.raises(ValidationError, match="viitor"):
        add(cast, on=timezone.localdate() + timedelta(days=1))
    assert counts() == before


def test_a_written_paper_teza_is_refused_in_a_year_under_the_current_rules(cast):
    """Rule 8: the teză was abolished from 2022-23; only a legacy year's grades have one."""
    before = counts()
    with pytest.raises(ValidationError, match="Teza"):
        add(cast, kind=Grade.Kind.THESIS)
    assert counts() == before
    assert Grade.Kind.THESIS not in dict(GradeForm().fields["kind"].choices)


def test_the_preparatory_class_gets_no_grade_nor_calificativ(cast):
    """Rule 1: the preparatory class is evaluated by the descriptive report only."""
    prep = structure.class_create(
        actor=cast.director, year=cast.year, level=Level.PREP, letter="A", homeroom=cast.maria
    )
    structure.curriculum_set(actor=cast.admin, school_class=prep, subject=cast.math, weekly_hours=3)
    structure.assignment_create(actor=cast.director, teacher=cast.maria, school_class=prep, subject=cast.math)
    child = structure.student_create(
        actor=cast.admin, first_name="Mara", last_name="Mică", cnp=cnp_for(date(2019, 4, 4), 601), school_class=prep,
        starts=cast.year.starts,
    )  # fmt: skip
    before = counts()
    for value in ({"value": 9}, {"calificativ": "FB"}):
        with pytest.raises(ValidationError) as refused:
            add(cast, teacher=cast.maria, student=child, school_class=prep, **value)
        assert refused.value.messages == [str(grades.DESCRIPTIVE_ONLY)]
    with pytest.raises(ValidationError, match="pregătitoare"):
        grades.value_parse("9", scheme=Scheme.DESCRIPTIVE)
    assert counts() == before


def test_a_medically_exempt_student_gets_no_grade_at_physical_education(cast):
    structure.exemption_set(
        actor=cast.admin, student=cast.ana, year=cast.year, subject=cast.pe, kind=Exemption.Kind.MEDICAL,
        document="123", document_date=cast.year.starts,
    )  # fmt: skip
    before = counts()
    with pytest.raises(ValidationError, match="scutit"):
        add(cast, teacher=cast.dan, subject=cast.pe)
    assert counts() == before
    add(cast, teacher=cast.dan, subject=cast.pe, student=cast.bogdan)  # the others still do


def test_a_student_who_did_not_opt_for_religion_gets_no_grade_there(cast):
    structure.exemption_set(
        actor=cast.admin, student=cast.ana, year=cast.year, subject=cast.religion, kind=Exemption.Kind.NO_RELIGION
    )
    with pytest.raises(ValidationError, match="scutit"):
        add(cast, teacher=cast.elena, subject=cast.religion)


def test_nothing_is_written_in_a_closed_year(cast):
    grade = add(cast)
    cast.year.closed_at = timezone.now()
    cast.year.save()
    before = counts()
    with pytest.raises(ValidationError, match="încheiat"):
        add(cast)
    with pytest.raises(ValidationError, match="încheiat"):
        grades.grade_change(teacher=cast.mihai, grade=grade, value=5, reason="greșeală")
    with pytest.raises(ValidationError, match="încheiat"):
        grades.grade_delete(teacher=cast.mihai, grade=grade, reason="greșeală")
    assert counts() == before


def test_a_teacher_cannot_write_outside_their_assignments(cast):
    before = counts()
    with pytest.raises(PermissionDenied) as refused:
        add(cast, teacher=cast.radu)  # teaches mathematics, but in 6B
    assert str(refused.value) == str(NOT_ASSIGNED)
    with pytest.raises(PermissionDenied):
        add(cast, teacher=cast.mihai, subject=cast.romanian)  # his class, another subject
    with pytest.raises(PermissionDenied):
        add(cast, teacher=cast.director)  # sees everything, writes only where they teach
    assert counts() == before


def test_an_admin_never_writes_a_grade_even_with_an_assignment(cast):
    cast.mihai.roles = [*cast.mihai.roles, "school_admin"]
    cast.mihai.save()
    with pytest.raises(PermissionDenied) as refused:
        add(cast)
    assert str(refused.value) == str(ADMIN_MAY_NOT_WRITE)


def test_a_student_from_another_class_or_not_yet_enrolled_is_refused(cast):
    with pytest.raises(ValidationError, match="nu este în această clasă"):
        add(cast, student=cast.victor)


def test_primary_classes_take_calificative_and_the_preparatory_class_none(cast):
    grade = add(cast, teacher=cast.maria, student=cast.ioana, school_class=cast.class_3a, value=None, calificativ="FB")
    assert grade.shown == "FB"
    with pytest.raises(ValidationError, match="FB, B, S sau I"):
        add(cast, teacher=cast.maria, student=cast.ioana, school_class=cast.class_3a, value=9)
    with pytest.raises(ValidationError):
        add(cast, calificativ="FB", value=None)  # a grade class takes grades


def test_changing_or_deleting_a_grade_needs_a_reason_and_records_old_and_new(cast):
    grade = add(cast)
    with pytest.raises(ValidationError) as refused:
        grades.grade_change(teacher=cast.mihai, grade=grade, value=10, reason="  ")
    assert refused.value.messages == [str(REASON_REQUIRED)]
    grades.grade_change(teacher=cast.mihai, grade=grade, value=10, reason="Greșeală de tastare")
    changed = AuditEvent.objects.get(action=Action.GRADE_CHANGED)
    assert (changed.old_values["value"], changed.new_values["value"], changed.reason) == (9, 10, "Greșeală de tastare")
    with pytest.raises(ValidationError):
        grades.grade_delete(teacher=cast.mihai, grade=grade, reason="")
    grades.grade_delete(teacher=cast.mihai, grade=grade, reason="Elev greșit")
    assert not Grade.objects.filter(pk=grade.pk).exists()
    assert AuditEvent.objects.get(action=Action.GRADE_DELETED).old_values["value"] == 10


def test_another_teacher_cannot_change_or_delete_a_grade(cast):
    grade = add(cast)
    with pytest.raises(PermissionDenied):
        grades.grade_change(teacher=cast.radu, grade=grade, value=3, reason="x")
    with pytest.raises(PermissionDenied):
        grades.grade_delete(teacher=cast.admin, grade=grade, reason="x")
    grade.refresh_from_db()
    assert grade.value == 9


def test_every_grade_write_leaves_row_history_even_by_raw_sql(cast):
    from django.db import connection

    grade = add(cast)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE grades_grade SET value = 2 WHERE id = %s", [grade.pk])
    assert [event.value for event in grade.history.order_by("pgh_id")] == [9, 2]


def test_a_grade_on_a_day_the_student_was_absent_warns(cast):
    from catalog.attendance.services import absence_record

    absence_record(
        teacher=cast.mihai, student=cast.ana, school_class=cast.class_5a, subject=cast.math, on=cast.day, hour=2
    )
    assert add(cast).warnings == [str(grades.ABSENT_THAT_DAY)]
    assert add(cast, student=cast.bogdan).warnings == []


# Closing averages


def close(cast, **overrides):
    fields = {"teacher": cast.mihai, "student": cast.ana, "school_class": cast.class_5a, "subject": cast.math}
    return grades.average_close(**(fields | overrides))


def test_closing_computes_the_average_and_locks_the_grades(cast):
    for value in (9, 9, 8, 10, 7, 9, 8):  # 60/7 = 8.57 → 9
        add(cast, value=value)
    average = close(cast)
    assert (average.value, average.closed, average.warnings) == (9, True, [])
    before = (Grade.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as refused:
        add(cast)
    assert refused.value.messages == [str(grades.AVERAGE_CLOSED)]
    assert (Grade.objects.count(), AuditEvent.objects.count()) == before  # nothing changed
    with pytest.raises(ValidationError, match="deja încheiată"):
        close(cast)


def test_too_few_grades_warn_by_default_and_block_when_the_rules_say_so(cast):
    add(cast, value=5)
    add(cast, value=6)  # 4 h/week: at least 7 grades
    average = close(cast)
    assert average.value == 6  # 5.5 rounds up
    assert average.warnings == [str(grades.TOO_FEW_GRADES.format(count=2, minimum=7))]
    structure.rules_revise(actor=cast.director, year=cast.year, min_grades_block=True, note="Blocăm")
    cast.class_5a.year.refresh_from_db()
    add(cast, student=cast.bogdan, value=7)
    with pytest.raises(ValidationError, match="cel puțin 7"):
        close(cast, student=cast.bogdan)
    assert not Average.objects.filter(student=cast.bogdan).exists()


def test_no_grades_no_average(cast):
    with pytest.raises(ValidationError) as refused:
        close(cast)
    assert refused.value.messages == [str(grades.NO_GRADES)]


def test_only_the_director_reopens_an_average_and_needs_a_reason(cast):
    add(cast, value=4)
    average = close(cast)
    with pytest.raises(PermissionDenied):
        grades.average_reopen(actor=cast.mihai, average=average, reason="x")
    with pytest.raises(ValidationError):
        grades.average_reopen(actor=cast.director, average=average, reason="")
    grades.average_reopen(actor=cast.director, average=average, reason="Contestație admisă")
    add(cast, value=10)
    assert close(cast).value == 7
    reopened = AuditEvent.objects.get(action=Action.AVERAGE_REOPENED)
    assert (reopened.actor_id, reopened.reason) == (cast.director.pk, "Contestație admisă")


def test_calificative_suggest_the_most_frequent_and_record_the_teachers_choice(cast):
    primary = {"teacher": cast.maria, "student": cast.ioana, "school_class": cast.class_3a, "value": None}
    for calificativ in ("FB", "B", "FB"):
        add(cast, **primary, calificativ=calificativ)
    fields = {"teacher": cast.maria, "student": cast.ioana, "school_class": cast.class_3a}
    average = close(cast, **fields)
    assert (average.calificativ, average.suggested) == ("FB", "")
    grades.average_reopen(actor=cast.director, average=average, reason="Reevaluare")
    average = close(cast, **fields, calificativ="B")
    assert (average.calificativ, average.suggested) == ("B", "FB")  # the override is recorded


def test_a_calificativ_tie_asks_the_teacher_to_choose_and_closes_with_their_choice(cast):
    """Rule 9: FB twice and B twice: the catalog proposes nothing and says so."""
    primary = {"teacher": cast.maria, "student": cast.ioana, "school_class": cast.class_3a, "value": None}
    for calificativ in ("FB", "B", "B", "FB"):
        add(cast, **primary, calificativ=calificativ)
    fields = {"teacher": cast.maria, "student": cast.ioana, "school_class": cast.class_3a}
    with pytest.raises(ValidationError) as refused:
        close(cast, **fields)
    assert refused.value.messages == [str(grades.CALIFICATIV_TIE).format(tied="FB, B")]
    assert not Average.objects.exists()
    average = close(cast, **fields, calificativ="B")
    assert (average.calificativ, average.suggested) == ("B", "")  # nothing was suggested


# Conduct


def test_only_the_homeroom_teacher_sets_conduct_and_a_change_needs_a_reason(cast):
    period = cast.year.periods.first()
    fields = {"student": cast.ana, "school_class": cast.class_5a, "period": period}
    for stranger in (cast.mihai, cast.admin, cast.director):
        with pytest.raises(PermissionDenied):
            grades.conduct_set(homeroom=stranger, value=10, **fields)
    grades.conduct_set(homeroom=cast.elena, value=10, **fields)
    with pytest.raises(ValidationError):
        grades.conduct_set(homeroom=cast.elena, value=9, **fields)
    conduct = grades.conduct_set(homeroom=cast.elena, value=9, reason="Abateri repetate", **fields)
    assert conduct.value == 9
    assert AuditEvent.objects.filter(action=Action.CONDUCT_SET).count() == 2


def test_a_failing_average_without_a_grade_in_the_last_three_weeks_warns(cast):
    from catalog.grades.services import AT_RISK_NO_LATE_GRADE, _late_grade_check

    for value in (4, 4, 5):
        grades.grade_add(
            teacher=cast.mihai, student=cast.ana, school_class=cast.class_5a, subject=cast.math, on=cast.day,
            value=value,
        )  # fmt: skip
    average = grades.average_close(teacher=cast.mihai, student=cast.ana, school_class=cast.class_5a, subject=cast.math)
    assert average.value == 4 and str(AT_RISK_NO_LATE_GRADE) in average.warnings
    late = Grade(value=5, on=cast.year.ends - timedelta(days=10))
    early = Grade(value=5, on=cast.year.ends - timedelta(days=30))
    assert _late_grade_check([early, late], cast.class_5a, 4, "") == []
    assert _late_grade_check([early], cast.class_5a, 4, "") == [str(AT_RISK_NO_LATE_GRADE)]
    assert _late_grade_check([early], cast.class_3a, None, "I") == [str(AT_RISK_NO_LATE_GRADE)]
    assert _late_grade_check([early], cast.class_5a, 5, "") == []  # a passing average needs nothing
