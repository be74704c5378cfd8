"""History from before 2022-23 (DOMAIN rule 8): the director imports a legacy year's semester
averages from a CSV file, all or nothing; semester averages follow the written paper's rule,
the annual average is the semesters' mean truncated at two decimals."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from accounts.roles import Role
from accounts.services import NotAllowed
from audit.actions import Action
from audit.models import AuditEvent, Source
from catalog.grades import legacy
from catalog.grades.models import LegacyAverage
from catalog.structure import services as structure
from catalog.structure.models import ImportJob, SchoolYear

HEADER = "cnp;disciplina;semestru;note;teza;medie"


def csv(*rows: str) -> bytes:
    return ("\n".join((HEADER, *rows)) + "\n").encode()


def test_rule_8_s_example_the_paper_weighs_a_quarter_of_the_semester(cast, old):
    report = legacy.legacy_import(
        actor=cast.director, year=old.year,
        data=csv(f"{old.sara.cnp};Matematică;1;9 9 8;8;", f"{old.sara.cnp};Matematică;2;10 9;;"),
    )  # fmt: skip
    assert report.ok, report.problems
    first, second = LegacyAverage.objects.filter(student=old.sara).order_by("semester")
    # M = 26/3 = 8.666… truncated to 8.66; (3 × 8.66 + 8) / 4 = 8.495 → 8
    assert (first.value, first.grades, first.thesis) == (8, ["9", "9", "8"], 8)
    assert second.value == 10  # 9.5, rounded in the student's favour
    (record,) = legacy.legacy_record(student=old.sara, school_class=old.viii_a)
    assert record.annual == Decimal("9.00")


def test_the_annual_average_is_truncated_never_rounded(cast, old):
    data = csv(f"{old.sara.cnp};Matematică;I;;;9", f"{old.sara.cnp};matematica;II;;;8")  # averages only
    assert legacy.legacy_import(actor=cast.director, year=old.year, data=data).ok
    (record,) = legacy.legacy_record(student=old.sara, school_class=old.viii_a)
    assert record.annual == Decimal("8.50")
    LegacyAverage.objects.filter(student=old.sara, semester=2).update(value=10)
    (record,) = legacy.legacy_record(student=old.sara, school_class=old.viii_a)
    assert record.annual == Decimal("9.50")


def test_a_single_semester_has_no_annual_average(cast, old):
    assert legacy.legacy_import(actor=cast.director, year=old.year, data=csv(f"{old.sara.cnp};Matematică;1;;;7")).ok
    (record,) = legacy.legacy_record(student=old.sara, school_class=old.viii_a)
    assert record.second is None and record.annual is None


def test_a_student_who_moved_has_each_semester_in_the_class_they_were_in(cast, old):
    data = csv(f"{old.luca.cnp};Matematică;1;;;6", f"{old.luca.cnp};Matematică;2;;;7")
    assert legacy.legacy_import(actor=cast.director, year=old.year, data=data).ok
    placed = dict(LegacyAverage.objects.filter(student=old.luca).values_list("semester", "school_class"))
    assert placed == {1: old.viii_a.pk, 2: old.viii_b.pk}


def test_calificative_classes_take_the_most_frequent_unless_the_file_says(cast, old):
    data = csv(f"{old.irina.cnp};Matematică;1;FB B fb;;", f"{old.irina.cnp};Matematică;2;FB B;;B")
    assert legacy.legacy_import(actor=cast.director, year=old.year, data=data).ok
    first, second = LegacyAverage.objects.filter(student=old.irina).order_by("semester")
    assert (first.calificativ, first.value, second.calificativ) == ("FB", None, "B")
    (record,) = legacy.legacy_record(student=old.irina, school_class=old.ii_a)
    assert record.annual is None  # no mean of calificative


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ("{sara};Matematică;1;9 9 8;8;9", "medie", legacy.DIFFERS.format(given=9, computed=8)),
        ("{sara};Matematică;1;9 0 8;;", "note", legacy.GRADES_BAD),
        ("{sara};Matematică;1;9 7.5;;", "note", legacy.GRADES_BAD),
        ("{sara};Matematică;1;9 10a;;", "note", legacy.GRADES_BAD),
        ("{sara};Matematică;1;9 9;11;", "teza", legacy.THESIS_BAD),
        ("{sara};Matematică;1;;8;", "teza", legacy.THESIS_ALONE),
        ("{sara};Matematică;1;;;", "", legacy.NOTHING),
        ("{sara};Matematică;1;;;FB", "medie", legacy.AVERAGE_BAD),
        ("{sara};Matematică;3;9;;", "semestru", legacy.SEMESTER_BAD),
        ("{sara};Astronomie;1;9;;", "disciplina", legacy.SUBJECT_UNKNOWN.format(value="Astronomie")),
        ("{irina};Matematică;1;FB 9;;", "note", legacy.CALIFICATIVE_BAD),
        ("{irina};Matematică;1;FB;9;", "teza", legacy.THESIS_PRIMARY),
        ("{irina};Matematică;1;FB B;;", "medie", legacy.TIE),
        ("{irina};Matematică;1;;;X", "medie", legacy.CALIFICATIV_AVERAGE_BAD),
        ("{ana};Matematică;1;9;;", "cnp", legacy.CNP_UNKNOWN.format(year="2020-2021")),
        ("1234567890123;Matematică;1;9;;", "cnp", None),
        ("{sara};Matematică;1;9;;;9", "", legacy.EXTRA_CELLS),
        ("=cmd;Matematică;1;9;;", "cnp", None),
    ],
)
def test_a_bad_row_is_refused_with_its_line_column_and_message_and_nothing_is_written(cast, old, row, column, message):
    good = f"{old.sara.cnp};Limba și literatura română;1;;;9"
    text = row.format(sara=old.sara.cnp, irina=old.irina.cnp, ana=cast.ana.cnp)
    report = legacy.legacy_import(actor=cast.director, year=old.year, data=csv(good, text))
    assert not report.ok
    (problem,) = report.problems
    assert (problem.line, problem.column) == (3, column)
    if message is not None:
        assert problem.message == message
    assert str(problem).startswith(f"Rândul 3{', ' + column if column else ''}:")
    assert not LegacyAverage.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.LEGACY_IMPORTED).exists()


def test_every_problem_of_the_file_is_reported_at_once(cast, old):
    report = legacy.legacy_import(
        actor=cast.director, year=old.year,
        data=csv(f"{old.sara.cnp};Matematică;1;9;;", f"{old.sara.cnp};Matematică;1;10;;", "x;y;z;;;"),
    )  # fmt: skip
    assert [(p.line, p.column) for p in report.problems] == [(3, "semestru"), (4, "cnp"), (4, "disciplina"),
                                                             (4, "semestru")]  # fmt: skip
    assert report.problems[0].message == legacy.IN_FILE.format(line=2)
    assert not LegacyAverage.objects.exists()


def test_an_average_already_imported_is_refused_not_replaced(cast, old):
    assert legacy.legacy_import(actor=cast.director, year=old.year, data=csv(f"{old.sara.cnp};Matematică;1;;;7")).ok
    data = csv(f"{old.sara.cnp};Matematică;2;;;8", f"{old.sara.cnp};Matematică;1;;;9")
    report = legacy.legacy_import(actor=cast.director, year=old.year, data=data)
    assert [(p.line, p.message) for p in report.problems] == [(3, legacy.ALREADY)]
    assert list(LegacyAverage.objects.values_list("semester", "value")) == [(1, 7)]


def test_a_check_finds_everything_an_import_would_and_writes_nothing(cast, old):
    good = csv(
        f"{old.sara.cnp};Matematică;1;9 9;;", f"{old.sara.cnp};Matematică;2;;;8", f"{old.irina.cnp};Matematică;1;;;B"
    )
    report = legacy.legacy_check(actor=cast.director, year=old.year, data=good)
    assert report.ok and report.dry_run and (report.rows, report.averages, report.students) == (3, 3, 2)
    assert report.by_class == {"a II-a A": 1, "a VIII-a A": 2}
    bad = csv(f"{old.sara.cnp};Matematică;1;9 9 8;8;9", f"{old.sara.cnp};Fizică;1;;;9")
    assert problems(legacy.legacy_check(actor=cast.director, year=old.year, data=bad)) == problems(
        legacy.legacy_import(actor=cast.director, year=old.year, data=bad)
    )
    assert not LegacyAverage.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.LEGACY_IMPORTED).exists()
    with pytest.raises(NotAllowed):
        legacy.legacy_check(actor=cast.admin, year=old.year, data=good)


def problems(report) -> list[tuple]:
    return [(problem.line, problem.column, str(problem.message)) for problem in report.problems]


def queued(cast, old, data: bytes, actor=None) -> ImportJob:
    return ImportJob.objects.create(
        kind=ImportJob.Kind.LEGACY, year=old.year, created_by=actor or cast.director, data=data, rows=2
    )


def test_a_job_imports_as_the_director_once_even_if_delivered_twice(cast, old):
    job = queued(cast, old, csv(f"{old.sara.cnp};Matematică;1;;;7", f"{old.luca.cnp};Matematică;2;;;8"))
    legacy.legacy_import_run(job_id=job.pk)
    legacy.legacy_import_run(job_id=job.pk)  # redelivered (a worker lost after the commit)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.started_at and job.finished_at and bytes(job.data) == b""
    assert job.outcome == {"averages": 2, "students": 2, "classes": {"a VIII-a A": 1, "a VIII-a B": 1}, "problems": []}
    assert LegacyAverage.objects.count() == 2
    events = AuditEvent.objects.filter(action=Action.LEGACY_IMPORTED)
    assert {(e.actor_id, e.source, e.request_id) for e in events} == {
        (cast.director.pk, Source.IMPORT, f"legacy-import-{job.pk}")
    }


def test_a_job_is_refused_if_the_director_left_the_role_the_year_closed_or_the_file_no_longer_fits(cast, old):
    data = csv(f"{old.sara.cnp};Matematică;1;;;7")
    lost = queued(cast, old, data)
    cast.director.roles = [Role.TEACHER]
    cast.director.save(update_fields=["roles"])
    legacy.legacy_import_run(job_id=lost.pk)
    lost.refresh_from_db()
    assert lost.status == ImportJob.Status.REFUSED and lost.outcome["problems"] == [[None, "", legacy.JOB_NOT_ALLOWED]]
    cast.director.roles = [Role.DIRECTOR]
    cast.director.save(update_fields=["roles"])
    already = queued(cast, old, data)
    assert legacy.legacy_import(actor=cast.director, year=old.year, data=data).ok  # the same file, imported meanwhile
    legacy.legacy_import_run(job_id=already.pk)
    already.refresh_from_db()
    assert already.status == ImportJob.Status.REFUSED and already.outcome["problems"] == [
        [2, "semestru", legacy.ALREADY]
    ]
    closed = queued(cast, old, csv(f"{old.luca.cnp};Matematică;1;;;7"))
    SchoolYear.objects.filter(pk=old.year.pk).update(closed_at=timezone.now())
    legacy.legacy_import_run(job_id=closed.pk)
    closed.refresh_from_db()
    assert closed.status == ImportJob.Status.REFUSED and "încheiat" in closed.outcome["problems"][0][2]
    assert LegacyAverage.objects.count() == 1


@pytest.mark.parametrize(
    "data",
    [b"", b"\xff\xfe9\x00", b"cnp;disciplina\n1;2\n", b"cnp;disciplina;semestru\n", b"a" * (2 * 1024 * 1024 + 1)],
)
def test_a_file_that_cannot_be_read_is_refused_as_a_whole(cast, old, data):
    report = legacy.legacy_import(actor=cast.director, year=old.year, data=data)
    assert not report.ok and report.problems[0].line is None
    assert not LegacyAverage.objects.exists()


def test_only_the_director_imports_the_history(cast, old):
    data = csv(f"{old.sara.cnp};Matematică;1;;;7")
    for someone in (cast.admin, cast.mihai, cast.elena, cast.parent, cast.stats):
        with pytest.raises(NotAllowed):
            legacy.legacy_import(actor=someone, year=old.year, data=data)
    assert not LegacyAverage.objects.exists()


def test_only_an_open_year_before_2022_23_in_semesters_takes_the_history(cast, old):
    data = csv(f"{old.sara.cnp};Matematică;1;;;7")
    with pytest.raises(ValidationError) as refused:
        legacy.legacy_import(actor=cast.director, year=cast.year, data=data)
    assert refused.value.code == "not_legacy"
    trimesters = structure.year_create(
        actor=cast.admin, name="2019-2020", starts=date(2019, 9, 9), ends=date(2020, 6, 12),
        structure=SchoolYear.Structure.TRIMESTERS,
    )  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        legacy.legacy_import(actor=cast.director, year=trimesters, data=data)
    assert refused.value.code == "not_semesters"
    SchoolYear.objects.filter(pk=old.year.pk).update(closed_at=timezone.now())
    old.year.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        legacy.legacy_import(actor=cast.director, year=old.year, data=data)
    assert refused.value.code == "year_closed"
    assert not LegacyAverage.objects.exists()


def test_an_import_is_audited_per_class_and_leaves_row_history(cast, old):
    data = csv(
        f"{old.sara.cnp};Matematică;1;;;7", f"{old.luca.cnp};Matematică;2;;;8", f"{old.irina.cnp};Matematică;1;;;B"
    )
    assert legacy.legacy_import(actor=cast.director, year=old.year, data=data).ok
    events = AuditEvent.objects.filter(action=Action.LEGACY_IMPORTED).order_by("seq")
    assert [e.object_id for e in events] == [str(old.ii_a.pk), str(old.viii_a.pk), str(old.viii_b.pk)]
    assert {e.source for e in events} == {Source.IMPORT} and {e.actor_id for e in events} == {cast.director.pk}
    assert events[1].new_values["semester_averages"] == {"Matematică": 1}
    history = LegacyAverage._meta.get_field("history").related_model.objects.filter(pgh_label="insert")
    assert history.count() == 3 and not history.filter(pgh_context__isnull=True).exists()


def test_the_database_refuses_a_semester_average_outside_the_rules(cast, old):
    row = {
        "student_id": old.sara.pk,
        "school_class_id": old.viii_a.pk,
        "subject_id": cast.math.pk,
        "by": cast.director.pk,
    }
    for semester, thesis, value in [(3, None, 8), (1, 11, 8), (1, None, 0)]:
        with pytest.raises(Exception, match="legacy_average"), connection.cursor() as cursor:
            cursor.execute("SAVEPOINT s")
            try:
                cursor.execute(
                    "INSERT INTO grades_legacyaverage (student_id, school_class_id, subject_id, semester, grades,"
                    " thesis, value, calificativ, imported_by_id, imported_at) VALUES (%(student_id)s,"
                    " %(school_class_id)s, %(subject_id)s, %(semester)s, '{}', %(thesis)s, %(value)s, '', %(by)s,"
                    " NOW())",
                    {**row, "semester": semester, "thesis": thesis, "value": value},
                )
            finally:
                cursor.execute("ROLLBACK TO SAVEPOINT s")
