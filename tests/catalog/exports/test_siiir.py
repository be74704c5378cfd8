"""DOMAIN rule 21: the year's catalog in SIIIR's concepts, exported as CSV or XLSX files."""

import csv
import hashlib
import io
import zipfile
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from openpyxl import load_workbook

from accounts.services import NotAllowed
from audit.actions import Action
from audit.models import AuditEvent
from catalog.attendance import services as attendance
from catalog.attendance.models import Excusal
from catalog.exports import services
from catalog.exports.formats import EXPORTERS, csv_cell
from catalog.exports.siiir import siiir_dataset
from catalog.grades import services as grades
from catalog.grades.models import YearResult
from catalog.structure import services as structure
from catalog.structure.identity import SchoolIdentity
from catalog.structure.models import Enrolment, Exemption, Level
from tenants.models import School
from tests.catalog.conftest import cnp_for

SHEETS = ["unitate", "formatiuni", "elevi", "plan_cadru", "note", "absente", "medii", "purtare", "scutiri",
          "situatie_anuala"]  # fmt: skip


def this_school() -> SchoolIdentity:
    return SchoolIdentity.of(School.objects.get(schema_name=connection.schema_name))


@pytest.fixture
def recorded(cast):
    """A few records of every kind in 5A and 3A, through the services."""
    day = cast.day
    for value, on in [(9, day), (7, day + timedelta(days=1))]:
        grades.grade_add(
            teacher=cast.mihai, student=cast.ana, school_class=cast.class_5a, subject=cast.math, on=on, value=value,
            kind="oral",
        )  # fmt: skip
    grades.grade_add(
        teacher=cast.maria, student=cast.ioana, school_class=cast.class_3a, subject=cast.math, on=day, calificativ="FB"
    )
    attendance.absence_record(
        teacher=cast.mihai, student=cast.bogdan, school_class=cast.class_5a, subject=cast.math, on=day, hour=2
    )
    attendance.absence_record(
        teacher=cast.mihai, student=cast.ana, school_class=cast.class_5a, subject=cast.math, on=day, hour=3
    )
    attendance.absences_excuse(
        homeroom=cast.elena, student=cast.ana, school_class=cast.class_5a, starts=day, ends=day,
        reason=Excusal.Reason.MEDICAL, document="123", document_date=day, today=day,
    )  # fmt: skip
    grades.conduct_set(
        homeroom=cast.elena, student=cast.ana, school_class=cast.class_5a, period=cast.year.periods.first(), value=10
    )
    structure.exemption_set(
        actor=cast.admin, student=cast.bogdan, year=cast.year, subject=cast.pe, kind=Exemption.Kind.MEDICAL,
        document="45/2025", document_date=cast.year.starts,
    )  # fmt: skip
    YearResult.objects.create(
        student=cast.victor, school_class=cast.class_6b, status=YearResult.Status.CORIGENT, conduct="10",
        failed=["Matematică"], decided_by=cast.director,
    )  # fmt: skip
    return cast


def sheet(dataset, name):
    return next(sheet for sheet in dataset.sheets if sheet.name == name)


def test_the_year_in_siiir_concepts(recorded, school_a):
    cast = recorded
    dataset = siiir_dataset(school=this_school(), year=cast.year)
    assert [sheet.name for sheet in dataset.sheets] == SHEETS
    unit = sheet(dataset, "unitate").rows
    assert unit[0][:6] == (
        school_a.siiir_code,
        school_a.name,
        school_a.cui,
        school_a.county,
        school_a.locality,
        cast.year.name,
    )
    assert sheet(dataset, "formatiuni").rows == [
        ("a III-a A", "a III-a", "primar", "NU", "Maria Pop", cast.year.name),
        ("a V-a A", "a V-a", "gimnazial", "NU", "Elena Stoica", cast.year.name),
        ("a VI-a B", "a VI-a", "gimnazial", "NU", "", cast.year.name),
    ]
    # Classes in level order, students alphabetically within a class (rule 20).
    students = sheet(dataset, "elevi").rows
    assert [(row[0], row[1], row[5]) for row in students] == [
        (cast.ioana.cnp, "Dinu", "a III-a A"),
        (cast.bogdan.cnp, "Avram", "a V-a A"),
        (cast.ana.cnp, "Marin", "a V-a A"),
        (cast.victor.cnp, "Zamfir", "a VI-a B"),
    ]
    assert students[2][3] == cast.ana.register_number and students[2][6] == cast.year.starts
    assert students[2][7] == "înscriere" and students[2][8] is None
    # Subjects in curriculum order: Romanian (1) before mathematics (2).
    plan = [row for row in sheet(dataset, "plan_cadru").rows if row[0] == "a V-a A"]
    assert [row[1] for row in plan] == ["Limba și literatura română", "Matematică", "Educație fizică", "Religie"]
    assert plan[1][2:] == (4, cast.class_5a.curriculum.get(subject=cast.math).yearly_hours)
    day = cast.day
    assert sheet(dataset, "note").rows == [
        (cast.ioana.cnp, "a III-a A", "Matematică", "", day, None, "FB", ""),
        (cast.ana.cnp, "a V-a A", "Matematică", "", day, 9, "", "oral"),
        (cast.ana.cnp, "a V-a A", "Matematică", "", day + timedelta(days=1), 7, "", "oral"),
    ]
    assert sheet(dataset, "absente").rows == [
        (cast.bogdan.cnp, "a V-a A", "Matematică", day, 2, "NU", "", "", None),
        (cast.ana.cnp, "a V-a A", "Matematică", day, 3, "DA", "certificat medical", "123", day),
    ]
    first_period = cast.year.periods.first().name
    assert sheet(dataset, "purtare").rows == [(cast.ana.cnp, "a V-a A", first_period, 10, "")]
    assert sheet(dataset, "scutiri").rows == [
        (cast.bogdan.cnp, "Educație fizică", "scutit medical", "45/2025", cast.year.starts)
    ]
    assert sheet(dataset, "situatie_anuala").rows == [
        (cast.victor.cnp, "a VI-a B", "Corigent", None, "10", "Matematică", "")
    ]


def test_a_closed_average_is_exported(recorded):
    cast = recorded
    grades.grade_add(
        teacher=cast.mihai, student=cast.ana, school_class=cast.class_5a, subject=cast.math, on=cast.day, value=8
    )
    grades.average_close(teacher=cast.mihai, student=cast.ana, school_class=cast.class_5a, subject=cast.math)
    rows = sheet(siiir_dataset(school=this_school(), year=cast.year), "medii").rows
    assert rows == [(cast.ana.cnp, "a V-a A", "Matematică", "", 8, "", "DA")]  # (9 + 7 + 8) / 3 = 8


def test_an_interval_limits_grades_and_absences_only(recorded):
    cast = recorded
    later = cast.day + timedelta(days=1)
    dataset = siiir_dataset(school=this_school(), year=cast.year, since=later, until=later)
    assert [row[4] for row in sheet(dataset, "note").rows] == [later]
    assert sheet(dataset, "absente").rows == []
    assert len(sheet(dataset, "elevi").rows) == 4 and len(sheet(dataset, "purtare").rows) == 1
    assert sheet(dataset, "unitate").rows[0][6:8] == (later, later)


def test_csv_archive_holds_one_utf8_file_per_concept(recorded):
    exported = services.siiir_export(school=this_school(), actor=recorded.admin, year=recorded.year, code="csv")
    assert exported.filename.endswith(".zip") and exported.content_type == "application/zip"
    with zipfile.ZipFile(io.BytesIO(exported.data)) as archive:
        assert archive.namelist() == [f"{name}.csv" for name in SHEETS]
        text = archive.read("note.csv").decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0] == ["cnp", "formatiune", "disciplina", "modul", "data", "nota", "calificativ", "tip"]
    assert rows[2] == [recorded.ana.cnp, "a V-a A", "Matematică", "", recorded.day.isoformat(), "9", "", "oral"]


def test_xlsx_workbook_holds_one_sheet_per_concept_with_real_dates_and_numbers(recorded):
    exported = services.siiir_export(school=this_school(), actor=recorded.director, year=recorded.year, code="xlsx")
    assert exported.filename.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(exported.data), read_only=True)
    assert workbook.sheetnames == SHEETS
    rows = list(workbook["note"].iter_rows(values_only=True))
    assert rows[0] == ("cnp", "formatiune", "disciplina", "modul", "data", "nota", "calificativ", "tip")
    assert rows[2][:6] == (recorded.ana.cnp, "a V-a A", "Matematică", None, rows[2][4], 9)
    assert rows[2][4].date() == recorded.day  # a date cell, not text
    students = list(workbook["elevi"].iter_rows(values_only=True))
    assert [row[1] for row in students[1:]] == ["Dinu", "Avram", "Marin", "Zamfir"]


def test_text_that_a_spreadsheet_would_run_stays_text(recorded):
    cast = recorded
    payload = '=HYPERLINK("http://example.test","x")'
    Enrolment.objects.filter(student=cast.ana).update(note=payload)
    assert csv_cell(payload) == f"'{payload}" and csv_cell("-") == "'-" and csv_cell(-3) == "-3"
    archive = zipfile.ZipFile(
        io.BytesIO(services.siiir_export(school=this_school(), actor=cast.admin, year=cast.year, code="csv").data)
    )
    rows = list(csv.reader(io.StringIO(archive.read("elevi.csv").decode().removeprefix("\ufeff"))))
    assert [row[10] for row in rows if row[0] == cast.ana.cnp] == [f"'{payload}"]
    workbook = load_workbook(
        io.BytesIO(services.siiir_export(school=this_school(), actor=cast.admin, year=cast.year, code="xlsx").data)
    )
    cells = [row[10] for row in workbook["elevi"].iter_rows(min_row=2)]
    noted = [cell for cell in cells if cell.value == payload]
    assert len(noted) == 1 and noted[0].data_type == "s"


@pytest.mark.parametrize("who", ["mihai", "elena", "parent", "stats"])
def test_only_the_secretariat_and_management_export(recorded, who):
    with pytest.raises(NotAllowed, match="Doar secretariatul"):
        services.siiir_export(school=this_school(), actor=getattr(recorded, who), year=recorded.year, code="xlsx")


def audit_events() -> int:
    return AuditEvent.objects.filter(action=Action.SIIIR_EXPORTED).count()


@pytest.mark.parametrize(
    ("code", "since", "until", "message"),
    [
        ("pdf", None, None, "Formatul „pdf” nu există; alegeți unul dintre: csv, xlsx."),
        ("xlsx", -1, None, "Intervalul trebuie să fie în anul școlar"),
        ("xlsx", None, 400, "Intervalul trebuie să fie în anul școlar"),
        ("xlsx", 20, 10, "Data de început a intervalului este după data de sfârșit."),
    ],
)
def test_a_bad_format_or_interval_is_refused_and_records_nothing(recorded, code, since, until, message):
    year = recorded.year
    before = audit_events()
    with pytest.raises(ValidationError) as refused:
        services.siiir_export(
            school=this_school(), actor=recorded.admin, year=year, code=code,
            since=None if since is None else year.starts + timedelta(days=since),
            until=None if until is None else year.starts + timedelta(days=until),
        )  # fmt: skip
    assert refused.value.messages[0].startswith(message)
    assert audit_events() == before


def test_every_export_is_audited_with_what_it_holds_and_the_files_checksum(recorded):
    exported = services.siiir_export(school=this_school(), actor=recorded.admin, year=recorded.year, code="csv")
    event = AuditEvent.objects.filter(action=Action.SIIIR_EXPORTED).latest("seq")
    assert event.actor_id == recorded.admin.pk and event.object_id == str(recorded.year.pk)
    assert event.new_values["sha256"] == hashlib.sha256(exported.data).hexdigest() == exported.sha256
    assert event.new_values["rows"]["note"] == 3 and event.new_values["rows"]["elevi"] == 4
    assert event.new_values["format"] == "csv" and event.new_values["file"] == exported.filename


def test_exporters_are_registered_by_code():
    assert sorted(EXPORTERS) == ["csv", "xlsx"]
    assert all(exporter.code == code for code, exporter in EXPORTERS.items())


def test_the_dataset_loads_in_queries_that_do_not_grow_with_the_school(recorded, django_assert_max_num_queries):
    cast = recorded
    with django_assert_max_num_queries(12):
        siiir_dataset(school=this_school(), year=cast.year)
    for serial in range(20):
        student = structure.student_create(
            actor=cast.admin, first_name="Elev", last_name=f"Nou{serial:02d}",
            cnp=cnp_for(cast.year.starts, 300 + serial), school_class=cast.class_5a, starts=cast.year.starts,
        )  # fmt: skip
        grades.grade_add(
            teacher=cast.mihai, student=student, school_class=cast.class_5a, subject=cast.math, on=cast.day, value=8
        )
        attendance.absence_record(
            teacher=cast.mihai, student=student, school_class=cast.class_5a, subject=cast.math, on=cast.day, hour=1
        )
    structure.class_create(actor=cast.admin, year=cast.year, level=Level.VII, letter="C")
    with django_assert_max_num_queries(12):
        dataset = siiir_dataset(school=this_school(), year=cast.year)
    assert len(sheet(dataset, "elevi").rows) == 24 and len(sheet(dataset, "note").rows) == 23


def test_the_command_writes_the_file_and_refuses_bad_arguments(recorded, school_a, tmp_path):
    target = tmp_path / "siiir.xlsx"
    out = io.StringIO()
    call_command(
        "siiir_export", school=school_a.slug, username=recorded.admin.username, year=recorded.year.name,
        output=str(target), stdout=out,
    )  # fmt: skip
    assert load_workbook(target, read_only=True).sheetnames == SHEETS
    assert hashlib.sha256(target.read_bytes()).hexdigest() in out.getvalue()
    for bad, message in [
        ({"since": "31.12.2025"}, "--from: not a day"),
        ({"school": "no-such-school"}, "No school"),
        ({"username": "nobody"}, "No user"),
        ({"year": "1990-1991"}, "No such school year"),
        ({"code": "pdf"}, "Formatul"),
        ({"username": recorded.mihai.username}, "Doar secretariatul"),
    ]:
        arguments = {"school": school_a.slug, "username": recorded.admin.username, "output": str(target), **bad}
        with pytest.raises(CommandError, match=message) as refused:
            call_command("siiir_export", **arguments)
        assert refused.value.returncode == 2
