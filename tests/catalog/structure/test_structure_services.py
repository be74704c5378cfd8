from datetime import date, timedelta
from itertools import pairwise

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from audit.actions import Action
from audit.models import AuditEvent
from catalog.structure import services as structure
from catalog.structure.models import (
    Cycle,
    Enrolment,
    Exemption,
    LearningPeriod,
    Level,
    RuleSet,
    SchoolClass,
    SchoolYear,
    Student,
    Subject,
    TeachingAssignment,
)
from catalog.structure.selectors import is_enrolled
from catalog.structure.services import PeriodSpec
from tests.accounts.conftest import make_user
from tests.catalog.conftest import cnp_for, cnp_with_check, past_day

STARTS, ENDS = date(2030, 9, 1), date(2031, 8, 31)
VALID_CNP = cnp_for(date(2015, 1, 1), 201)
WRONG_CHECK_DIGIT = VALID_CNP[:-1] + str((int(VALID_CNP[-1]) + 1) % 10)
VALID_CNP_IN_ARABIC_DIGITS = "".join(chr(0x0660 + int(digit)) for digit in VALID_CNP)  # "٦١٥٠١٠١…"


def new_year(cast, name="2030-2031", starts=STARTS, ends=ENDS, structure_=SchoolYear.Structure.MODULES, **fields):
    return structure.year_create(actor=cast.admin, name=name, starts=starts, ends=ends, structure=structure_, **fields)


def new_student(cast, school_class=None, serial=200, **fields):
    fields = {
        "actor": cast.admin, "first_name": "Elev", "last_name": f"Nou{serial}",
        "cnp": cnp_for(date(2015, 1, 1), serial), "school_class": school_class or cast.class_5a,
        "starts": cast.year.starts,
    } | fields  # fmt: skip
    return structure.student_create(**fields)


def counts(*models):
    return (*(model.objects.count() for model in models), AuditEvent.objects.count())


def close(year):
    year.closed_at = timezone.now()
    year.save()


# Years and their periods


@pytest.mark.parametrize(
    "kind, number, name",
    [
        (SchoolYear.Structure.MODULES, 5, "Modulul"),
        (SchoolYear.Structure.SEMESTERS, 2, "Semestrul"),
        (SchoolYear.Structure.TRIMESTERS, 3, "Trimestrul"),
    ],
)
def test_a_new_year_is_split_evenly_by_its_structure(cast, kind, number, name):
    year = new_year(cast, structure_=kind)
    periods = list(year.periods.order_by("number"))
    assert [p.name for p in periods] == [f"{name} {n}" for n in range(1, number + 1)]
    assert periods[0].starts == STARTS and periods[-1].ends == ENDS
    for earlier, later in pairwise(periods):
        assert later.starts == earlier.ends + timedelta(days=1)
    lengths = [(p.ends - p.starts).days + 1 for p in periods]
    assert max(lengths) - min(lengths) <= 1
    assert year.rule_set == RuleSet.objects.order_by("-version").first() and not year.legacy
    event = AuditEvent.objects.filter(action=Action.YEAR_CREATED).latest("pk")
    assert (event.object_id, event.new_values["periods"]) == (str(year.pk), number)


def test_periods_given_explicitly_are_kept_with_their_names(cast):
    periods = [
        PeriodSpec(date(2030, 9, 8), date(2031, 1, 31), "Semestrul I"),
        PeriodSpec(date(2031, 2, 10), date(2031, 6, 20)),
    ]
    year = new_year(cast, structure_=SchoolYear.Structure.CUSTOM, periods=periods)
    assert list(year.periods.values_list("number", "name", "starts", "ends")) == [
        (1, "Semestrul I", date(2030, 9, 8), date(2031, 1, 31)),
        (2, "Perioada 2", date(2031, 2, 10), date(2031, 6, 20)),
    ]


@pytest.mark.parametrize(
    "periods, message",
    [
        ([PeriodSpec(date(2030, 8, 31), date(2031, 1, 31))], "iese din anul școlar"),
        ([PeriodSpec(date(2030, 9, 1), date(2031, 9, 1))], "iese din anul școlar"),
        (
            [PeriodSpec(date(2030, 9, 1), date(2031, 1, 31)), PeriodSpec(date(2031, 1, 31), date(2031, 6, 1))],
            "suprapune",
        ),
        (
            [PeriodSpec(date(2031, 2, 1), date(2031, 6, 1)), PeriodSpec(date(2030, 9, 1), date(2031, 1, 31))],
            "suprapune",
        ),
        ([PeriodSpec(date(2031, 1, 31), date(2030, 9, 1))], "înainte să înceapă"),
    ],
)
def test_periods_outside_the_year_overlapping_or_backwards_are_refused(cast, periods, message):
    before = counts(SchoolYear, LearningPeriod)
    with pytest.raises(ValidationError, match=message):
        new_year(cast, structure_=SchoolYear.Structure.SEMESTERS, periods=periods)
    assert counts(SchoolYear, LearningPeriod) == before


def test_a_year_twice_backwards_or_of_an_unknown_structure_is_refused(cast):
    before = counts(SchoolYear, LearningPeriod)
    with pytest.raises(ValidationError, match="există deja"):
        new_year(cast, name=cast.year.name, starts=cast.year.starts, ends=cast.year.ends)
    with pytest.raises(ValidationError, match="înceapă înainte"):
        new_year(cast, starts=ENDS, ends=STARTS)
    with pytest.raises(ValidationError, match="Structura"):
        new_year(cast, structure_="quarters")
    assert counts(SchoolYear, LearningPeriod) == before


# Rules


def test_revising_the_rules_makes_a_new_version_and_earlier_years_keep_theirs(cast):
    earlier = new_year(cast, name="2020-2021", starts=date(2020, 9, 1), ends=date(2021, 8, 31))
    assert earlier.legacy and earlier.rule_set == cast.year.rule_set
    old = cast.year.rule_set
    revised = structure.rules_revise(actor=cast.director, year=cast.year, note="Hotărârea CA", parent_request_hours=30)
    cast.year.refresh_from_db()
    earlier.refresh_from_db()
    old.refresh_from_db()
    assert cast.year.rule_set == revised and revised.version == old.version + 1
    assert (revised.parent_request_hours, revised.notify_at, revised.note) == (30, old.notify_at, "Hotărârea CA")
    assert earlier.rule_set == old and old.parent_request_hours == 40  # the old version is untouched
    event = AuditEvent.objects.get(action=Action.YEAR_RULES_REVISED)
    assert (event.old_values, event.new_values, event.reason) == (
        {"parent_request_hours": 40},
        {"parent_request_hours": 30},
        "Hotărârea CA",
    )


def test_rules_are_not_revised_in_a_closed_year_by_others_or_with_bad_values(cast):
    before = counts(RuleSet)
    for outsider in (cast.mihai, cast.parent, cast.stats):
        with pytest.raises(PermissionDenied):
            structure.rules_revise(actor=outsider, year=cast.year, document_days=5)
    with pytest.raises(ValidationError, match="necunoscute"):
        structure.rules_revise(actor=cast.director, year=cast.year, homework_days=5)
    with pytest.raises(ValidationError):
        structure.rules_revise(actor=cast.director, year=cast.year, parent_request_percent=150)
    close(cast.year)
    with pytest.raises(ValidationError, match="încheiat"):
        structure.rules_revise(actor=cast.director, year=cast.year, document_days=5)
    assert counts(RuleSet) == before


# Students and their register numbers


def test_register_numbers_are_sequential_from_1_per_cycle(cast):
    assert [s.register_number for s in (cast.ana, cast.bogdan, cast.victor)] == [1, 2, 3]  # gimnazial
    assert (cast.ioana.cycle, cast.ioana.register_number) == (Cycle.PRIMARY, 1)
    admin = cast.admin
    c1 = structure.class_create(actor=admin, year=cast.year, level=Level.I, letter="B")
    c4 = structure.class_create(actor=admin, year=cast.year, level=Level.IV, letter="B")
    c8 = structure.class_create(actor=admin, year=cast.year, level=Level.VIII, letter="B")
    c9 = structure.class_create(actor=admin, year=cast.year, level=Level.IX, letter="B")
    c12 = structure.class_create(actor=admin, year=cast.year, level=Level.XII, letter="B")
    made = [new_student(cast, school_class, serial) for serial, school_class in enumerate([c1, c4, c8, c9, c12], 201)]
    assert [(s.cycle, s.register_number) for s in made] == [
        (Cycle.PRIMARY, 2), (Cycle.PRIMARY, 3), (Cycle.LOWER_SECONDARY, 4),
        (Cycle.UPPER_SECONDARY, 1), (Cycle.UPPER_SECONDARY, 2),
    ]  # fmt: skip
    event = AuditEvent.objects.filter(action=Action.STUDENT_CREATED).latest("pk")
    assert event.new_values == {"register_number": 2, "cycle": Cycle.UPPER_SECONDARY, "class": str(c12)}
    assert is_enrolled(made[0], c1, cast.year.starts)


def test_an_imported_register_number_is_kept_and_a_taken_one_is_refused(cast):
    imported = new_student(cast, serial=201, register_number=10)
    assert imported.register_number == 10
    before = counts(Student, User, Enrolment)
    with pytest.raises(ValidationError, match="Numărul matricol 2 este deja folosit"):
        new_student(cast, serial=202, register_number=2)  # Bogdan's
    assert counts(Student, User, Enrolment) == before
    assert new_student(cast, serial=203, register_number=2, school_class=cast.class_3a).register_number == 2  # primar


def test_a_register_number_is_never_given_twice_after_an_import(cast):
    new_student(cast, serial=201, register_number=4)  # the next sequential number, taken by an import
    numbers = [new_student(cast, serial=serial).register_number for serial in (202, 203)]
    assert len(set(numbers) | {1, 2, 3, 4}) == 6
    assert sorted(Student.objects.filter(cycle=Cycle.LOWER_SECONDARY).values_list("register_number", flat=True)) == [
        1,
        2,
        3,
        4,
        *sorted(numbers),
    ]


def test_a_refused_student_does_not_use_up_a_register_number(cast):
    with pytest.raises(ValidationError):
        new_student(cast, serial=201, first_name="")
    assert new_student(cast, serial=202).register_number == 4


@pytest.mark.parametrize(
    "cnp, message",
    [
        ("123", "13 cifre"),
        (WRONG_CHECK_DIGIT, "control"),
        ("6151301400018", "nașterii"),
        (VALID_CNP_IN_ARABIC_DIGITS, "alt alfabet"),
    ],
)
def test_an_invalid_cnp_is_refused_and_changes_nothing(cast, cnp, message):
    before = counts(Student, User, Enrolment)
    with pytest.raises(ValidationError, match=message):
        new_student(cast, cnp=cnp)
    assert counts(Student, User, Enrolment) == before


def test_a_pupil_whose_cnp_carries_the_single_county_code_70_is_enrolled(cast):
    # Every CNP issued since May 2024 has 70 where the county was: a child born abroad in 2015
    # whose birth was transcribed in Romania last year has one.
    cnp = cnp_with_check("6150101" + "70" + "205")
    student = new_student(cast, cnp=cnp)
    assert student.cnp == cnp and student.user.birth_date == date(2015, 1, 1)
    assert Enrolment.objects.get(student=student).school_class == cast.class_5a


def test_a_cnp_belongs_to_one_student(cast):
    before = counts(Student, User, Enrolment)
    with pytest.raises(ValidationError, match="Există deja un elev cu acest CNP"):
        new_student(cast, cnp=f" {cast.ana.cnp} ")
    assert counts(Student, User, Enrolment) == before
    student = new_student(cast, serial=201)
    assert student.user.birth_date == date(2015, 1, 1)


# Enrolments


def test_a_student_is_in_one_class_at_a_time_and_moves_with_dates(cast):
    c5b = structure.class_create(actor=cast.admin, year=cast.year, level=Level.V, letter="B")
    moved_on = past_day(cast.year, 20)
    before = counts(Enrolment)
    with pytest.raises(ValidationError, match="deja înscris"):
        structure.enrolment_add(actor=cast.admin, student=cast.ana, school_class=c5b, starts=moved_on)
    assert counts(Enrolment) == before
    enrolment = Enrolment.objects.get(student=cast.ana, school_class=cast.class_5a)
    structure.enrolment_end(
        actor=cast.admin, enrolment=enrolment, ends=moved_on - timedelta(days=1), exit=Enrolment.Exit.MOVED
    )
    structure.enrolment_add(
        actor=cast.admin, student=cast.ana, school_class=c5b, starts=moved_on, entry=Enrolment.Entry.MOVED
    )
    assert is_enrolled(cast.ana, cast.class_5a, moved_on - timedelta(days=1))
    assert not is_enrolled(cast.ana, cast.class_5a, moved_on)
    assert is_enrolled(cast.ana, c5b, moved_on) and not is_enrolled(cast.ana, c5b, moved_on - timedelta(days=1))
    left = AuditEvent.objects.get(action=Action.STUDENT_LEFT)
    entered = AuditEvent.objects.get(action=Action.STUDENT_ENROLLED)
    assert (left.person_id, left.new_values["exit"]) == (cast.ana.user.pk, Enrolment.Exit.MOVED)
    assert (entered.person_id, entered.new_values["entry"]) == (cast.ana.user.pk, Enrolment.Entry.MOVED)


def test_a_new_enrolment_may_not_overlap_the_one_that_ended(cast):
    c5b = structure.class_create(actor=cast.admin, year=cast.year, level=Level.V, letter="B")
    enrolment = Enrolment.objects.get(student=cast.ana, school_class=cast.class_5a)
    left_on = past_day(cast.year, 20)
    structure.enrolment_end(actor=cast.admin, enrolment=enrolment, ends=left_on, exit=Enrolment.Exit.MOVED)
    before = counts(Enrolment)
    for starts in (left_on, left_on - timedelta(days=5)):
        with pytest.raises(ValidationError, match="deja înscris"):
            structure.enrolment_add(actor=cast.admin, student=cast.ana, school_class=c5b, starts=starts)
    assert counts(Enrolment) == before
    assert not is_enrolled(cast.ana, c5b, left_on)


def test_an_enrolment_and_its_audit_event_are_written_together(cast, monkeypatch):
    c5b = structure.class_create(actor=cast.admin, year=cast.year, level=Level.V, letter="B")
    enrolment = Enrolment.objects.get(student=cast.ana, school_class=cast.class_5a)
    structure.enrolment_end(actor=cast.admin, enrolment=enrolment, ends=cast.day, exit=Enrolment.Exit.MOVED)
    before = counts(Enrolment)

    def audit_fails(**kwargs):
        raise RuntimeError("the audit trail is unavailable")

    monkeypatch.setattr(structure.students, "audit_record", audit_fails)
    with pytest.raises(RuntimeError):
        structure.enrolment_add(
            actor=cast.admin, student=cast.ana, school_class=c5b, starts=cast.day + timedelta(days=1)
        )
    assert counts(Enrolment) == before


def test_transfers_in_and_out_of_the_school_keep_their_dates(cast):
    arrived = past_day(cast.year, 15)
    newcomer = new_student(cast, serial=201, starts=arrived, entry=Enrolment.Entry.TRANSFER_IN)
    enrolment = newcomer.enrolments.get()
    assert (enrolment.starts, enrolment.entry, enrolment.ends) == (arrived, Enrolment.Entry.TRANSFER_IN, None)
    assert not is_enrolled(newcomer, cast.class_5a, arrived - timedelta(days=1))
    left = past_day(cast.year, 30)
    structure.enrolment_end(
        actor=cast.admin, enrolment=enrolment, ends=left, exit=Enrolment.Exit.TRANSFER_OUT, note="Școala nr. 5"
    )
    enrolment.refresh_from_db()
    assert (enrolment.ends, enrolment.exit, enrolment.note) == (left, Enrolment.Exit.TRANSFER_OUT, "Școala nr. 5")
    assert is_enrolled(newcomer, cast.class_5a, left) and not is_enrolled(newcomer, cast.class_5a, left + timedelta(1))


def test_enrolment_dates_outside_the_year_or_before_the_start_and_unknown_exits_are_refused(cast):
    c5b = structure.class_create(actor=cast.admin, year=cast.year, level=Level.V, letter="B")
    enrolment = Enrolment.objects.get(student=cast.ana, school_class=cast.class_5a)
    before = counts(Enrolment)
    with pytest.raises(ValidationError, match="anul școlar"):
        structure.enrolment_add(
            actor=cast.admin, student=cast.victor, school_class=c5b, starts=cast.year.ends + timedelta(days=1)
        )
    for ends in (enrolment.starts - timedelta(days=1), cast.year.ends + timedelta(days=1)):
        with pytest.raises(ValidationError, match="după înscriere"):
            structure.enrolment_end(actor=cast.admin, enrolment=enrolment, ends=ends, exit=Enrolment.Exit.WITHDRAWN)
    with pytest.raises(ValidationError, match="nu este valid"):
        structure.enrolment_end(actor=cast.admin, enrolment=enrolment, ends=cast.day, exit="expelled")
    assert counts(Enrolment) == before
    enrolment.refresh_from_db()
    assert enrolment.ends is None


# Teaching assignments and exemptions


def test_assignments_are_only_for_active_teachers_and_subjects_of_the_class_curriculum(cast):
    before = counts(TeachingAssignment)
    with pytest.raises(ValidationError, match="planul de învățământ"):
        structure.assignment_create(actor=cast.director, teacher=cast.dan, school_class=cast.class_6b, subject=cast.pe)
    with pytest.raises(ValidationError, match="profesori activi"):
        structure.assignment_create(
            actor=cast.director, teacher=cast.parent, school_class=cast.class_5a, subject=cast.pe
        )
    cast.radu.is_active = False
    cast.radu.save()
    with pytest.raises(ValidationError, match="profesori activi"):
        structure.assignment_create(
            actor=cast.director, teacher=cast.radu, school_class=cast.class_5a, subject=cast.math
        )
    assert counts(TeachingAssignment) == before
    structure.curriculum_set(actor=cast.admin, school_class=cast.class_6b, subject=cast.pe, weekly_hours=2)
    assignment = structure.assignment_create(
        actor=cast.director, teacher=cast.dan, school_class=cast.class_6b, subject=cast.pe
    )
    event = AuditEvent.objects.get(action=Action.ASSIGNMENT_CREATED, object_id=str(assignment.pk))
    assert (event.actor_id, event.person_id) == (cast.director.pk, cast.dan.pk)
    before = counts(TeachingAssignment)
    structure.assignment_create(actor=cast.director, teacher=cast.dan, school_class=cast.class_6b, subject=cast.pe)
    assert counts(TeachingAssignment) == before  # twice is once


def test_a_medical_exemption_is_only_at_physical_education_with_its_document(cast):
    before = counts(Exemption)
    medical = {"actor": cast.admin, "student": cast.ana, "year": cast.year, "kind": Exemption.Kind.MEDICAL}
    with pytest.raises(ValidationError, match="doar la educație fizică"):
        structure.exemption_set(**medical, subject=cast.math, document="12", document_date=cast.day)
    for document, document_date in [("", cast.day), (" ", cast.day), ("12", None)]:
        with pytest.raises(ValidationError, match="numărul și data"):
            structure.exemption_set(**medical, subject=cast.pe, document=document, document_date=document_date)
    assert counts(Exemption) == before
    exemption = structure.exemption_set(**medical, subject=cast.pe, document=" 12 ", document_date=cast.day)
    assert (exemption.kind, exemption.document, exemption.document_date) == (Exemption.Kind.MEDICAL, "12", cast.day)
    event = AuditEvent.objects.get(action=Action.EXEMPTION_SET)
    assert (event.person_id, event.new_values["kind"]) == (cast.ana.user.pk, Exemption.Kind.MEDICAL)


def test_not_following_religion_is_only_at_religion_and_kinds_must_be_known(cast):
    before = counts(Exemption)
    fields = {"actor": cast.admin, "student": cast.ana, "year": cast.year}
    with pytest.raises(ValidationError, match="religie"):
        structure.exemption_set(**fields, subject=cast.pe, kind=Exemption.Kind.NO_RELIGION)
    with pytest.raises(ValidationError, match="Tipul scutirii"):
        structure.exemption_set(**fields, subject=cast.math, kind="bolnav")
    assert counts(Exemption) == before
    assert structure.exemption_set(**fields, subject=cast.religion, kind=Exemption.Kind.NO_RELIGION).pk


# Who configures, and when


def giving_rights(call):
    """A call that gives a right to write (art. 15): the director's, or catalog.rights' after approval."""
    call.gives_rights = True
    return call


def configure_everything(cast, actor):
    """One call of each configuring service, as `actor`."""
    enrolment = Enrolment.objects.get(student=cast.ana, school_class=cast.class_5a)
    return [
        lambda: structure.year_create(actor=actor, name="2031-2032", starts=date(2031, 9, 1), ends=date(2032, 8, 31),
                              structure=SchoolYear.Structure.SEMESTERS),
        lambda: structure.subject_create(actor=actor, name="Informatică"),
        lambda: structure.class_create(actor=actor, year=cast.year, level=Level.VII, letter="C"),
        lambda: structure.curriculum_set(actor=actor, school_class=cast.class_6b, subject=cast.pe, weekly_hours=2),
        giving_rights(lambda: structure.assignment_create(
            actor=actor, teacher=cast.elena, school_class=cast.class_6b, subject=cast.math
        )),
        lambda: new_student(cast, serial=201, actor=actor),
        lambda: structure.enrolment_end(actor=actor, enrolment=enrolment, ends=cast.day, exit=Enrolment.Exit.WITHDRAWN),
        lambda: structure.exemption_set(actor=actor, student=cast.ana, year=cast.year, subject=cast.religion,
                                        kind=Exemption.Kind.NO_RELIGION),
        giving_rights(lambda: structure.homeroom_set(actor=actor, school_class=cast.class_6b, homeroom=cast.radu)),
    ]  # fmt: skip


MODELS = (SchoolYear, Subject, SchoolClass, TeachingAssignment, Student, User, Enrolment, Exemption)


@pytest.mark.parametrize("who", ["mihai", "elena", "parent", "stats"])
def test_only_the_secretariat_and_the_leadership_configure(cast, who):
    before = counts(*MODELS)
    for call in configure_everything(cast, getattr(cast, who)):
        with pytest.raises(PermissionDenied) as refused:
            call()
        assert str(refused.value) == str(structure.NOT_CONFIGURER)
    assert counts(*MODELS) == before


@pytest.mark.parametrize("role", [Role.DIRECTOR, Role.DEPUTY, Role.SCHOOL_ADMIN])
def test_the_secretariat_the_director_and_the_deputy_configure(cast, school_a, role):
    actor = make_user(school_a.schema_name, f"configurator.{role}", [role])
    for call in configure_everything(cast, actor):
        if getattr(call, "gives_rights", False) and role != Role.DIRECTOR:
            with pytest.raises(PermissionDenied, match="aprobarea directorului"):
                call()  # they ask for it (catalog.rights); the director approves
        else:
            call()


def test_nothing_in_a_closed_year_changes(cast):
    calls = configure_everything(cast, cast.director)[2:]  # all but the new year and the new subject
    close(cast.year)
    before = counts(*MODELS, RuleSet)
    for call in calls:
        with pytest.raises(ValidationError, match="încheiat"):
            call()
    with pytest.raises(ValidationError, match="încheiat"):
        structure.enrolment_add(actor=cast.admin, student=cast.victor, school_class=cast.class_5a, starts=cast.day)
    assert counts(*MODELS, RuleSet) == before


def test_notice_thresholds_must_be_whole_numbers(cast):
    for bad in (["x"], [0], "10,20", [10.5]):
        with pytest.raises(ValidationError):
            structure.rules_revise(actor=cast.director, year=cast.year, notify_at=bad)
    assert structure.rules_revise(actor=cast.director, year=cast.year, notify_at=[5, 15]).notify_at == [5, 15]


def test_a_register_number_below_one_is_refused(cast):
    with pytest.raises(ValidationError, match="de la 1"):
        structure.student_create(
            actor=cast.admin, first_name="Ion", last_name="Ene", cnp=cnp_for(date(2015, 2, 2), 555),
            school_class=cast.class_5a, register_number=0,
        )  # fmt: skip


def test_a_class_created_with_a_homeroom_teacher_gives_them_the_homeroom_role(cast):
    assert "homeroom" in cast.elena.roles


def test_an_inactive_admin_configures_nothing(cast):
    cast.admin.is_active = False
    cast.admin.save()
    with pytest.raises(PermissionDenied):
        structure.subject_create(actor=cast.admin, name="Desen")


def test_a_period_may_end_earlier_for_a_level_and_dates_after_it_are_refused(cast):
    from catalog.structure.guards import date_check
    from catalog.structure.models import Level

    past = structure.year_create(
        actor=cast.admin, name="2024-2025", starts=date(2024, 9, 1), ends=date(2025, 8, 31),
        structure=SchoolYear.Structure.SEMESTERS,
    )  # fmt: skip
    make = {"actor": cast.admin, "year": past, "letter": "A"}
    eighth, seventh = structure.class_create(level=Level.VIII, **make), structure.class_create(level=Level.VII, **make)
    twelfth = structure.class_create(level=Level.XII, **make)
    twelfth_tech = structure.class_create(level=Level.XII, letter="T", year=past, actor=cast.admin, technological=True)
    last = past.periods.order_by("-number").first()
    structure.period_end_set(actor=cast.admin, period=last, level=Level.VIII, ends=date(2025, 6, 6))
    structure.period_end_set(actor=cast.admin, period=last, level=Level.XII, ends=date(2025, 5, 30), technological=True)
    date_check(date(2025, 6, 6), eighth)
    with pytest.raises(ValidationError, match=r"s-au încheiat la 06\.06\.2025"):
        date_check(date(2025, 6, 9), eighth)
    date_check(date(2025, 6, 9), seventh)  # other levels keep the year's end
    date_check(date(2025, 6, 9), twelfth)  # the variation is for technological classes only
    with pytest.raises(ValidationError, match=r"30\.05\.2025"):
        date_check(date(2025, 6, 2), twelfth_tech)
    assert AuditEvent.objects.filter(action=Action.YEAR_PERIOD_END_SET).count() == 2


def test_a_period_end_outside_its_period_or_by_a_teacher_is_refused(cast):
    from catalog.structure.models import Level, PeriodEnd

    last = cast.year.periods.order_by("-number").first()
    for ends, level in [(last.starts - timedelta(days=1), Level.VIII), (cast.year.ends + timedelta(days=1), Level.VIII),
                        (last.ends, "99"), ("2027-06-06", Level.VIII)]:  # fmt: skip
        with pytest.raises(ValidationError):
            structure.period_end_set(actor=cast.admin, period=last, level=level, ends=ends)
    with pytest.raises(PermissionDenied):
        structure.period_end_set(actor=cast.mihai, period=last, level=Level.VIII, ends=last.ends)
    assert not PeriodEnd.objects.exists()


def test_the_number_of_a_student_who_left_is_kept_and_never_given_again(cast):
    """Rule 18: Victor (3, the cycle's last) transfers out; the next student gets 4, and 3 stays his."""
    enrolment = Enrolment.objects.get(student=cast.victor, ends__isnull=True)
    structure.enrolment_end(
        actor=cast.admin, enrolment=enrolment, ends=past_day(cast.year, 20), exit=Enrolment.Exit.TRANSFER_OUT
    )

    assert new_student(cast, serial=203).register_number == 4
    with pytest.raises(ValidationError, match="Numărul matricol 3 este deja folosit"):
        new_student(cast, serial=204, register_number=3)
    cast.victor.refresh_from_db()
    assert (cast.victor.cycle, cast.victor.register_number) == (Cycle.LOWER_SECONDARY, 3)
