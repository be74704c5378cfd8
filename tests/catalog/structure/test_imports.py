"""Students and parents from a CSV file: all or nothing, every bad row named by its line."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import ParentLink, User
from accounts.roles import Role
from accounts.services import NotAllowed
from audit.actions import Action
from audit.models import AuditEvent, Source
from catalog.structure import imports
from catalog.structure import services as structure
from catalog.structure.imports import students_import
from catalog.structure.models import Cycle, Enrolment, ImportJob, Level, RegisterCounter, Student
from tests.catalog.conftest import cnp_for, cnp_with_check

HEADER = "nume,prenume,cnp,clasa,numar_matricol,email,parinte_nume,parinte_prenume,parinte_email"
CNP = [cnp_for(date(2015, 2, day), 300 + day) for day in range(1, 29)]
WRONG_CHECK_DIGIT = CNP[27][:-1] + str((int(CNP[27][-1]) + 1) % 10)


def csv_file(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def run(cast, data: bytes, actor=None, **options):
    return students_import(actor=actor or cast.admin, year=cast.year, data=data, **options)


def counts():
    return (
        Student.objects.count(), User.objects.count(), ParentLink.objects.count(), Enrolment.objects.count(),
        AuditEvent.objects.count(), list(RegisterCounter.objects.order_by("cycle").values_list("cycle", "last")),
    )  # fmt: skip


def problems(report) -> list[tuple[int | None, str]]:
    return [(problem.line, problem.column) for problem in report.problems]


GOOD = csv_file(
    f"Pop,Ana,{CNP[0]},V A,,,Pop,Maria,maria.pop@example.test",
    f"Pop,Radu,{CNP[1]},a V-a A,,,Pop,Maria,Maria.Pop@example.test",
    f"Ilie,Șerban,{CNP[2]},5A,,serban.ilie@example.test,,,",
    f"Dinu,Mara,{CNP[3]},a III-a A,,,Marin,Ioana,mama.anei@example.test",
)


def test_a_good_file_imports_every_student_parent_and_link_with_sequential_register_numbers(cast):
    last_gymnasium = RegisterCounter.objects.get(cycle=Cycle.LOWER_SECONDARY).last
    report = run(cast, GOOD)
    assert report.ok and not report.dry_run, report.problems
    assert [s.user.get_full_name() for s in report.students] == ["Ana Pop", "Radu Pop", "Șerban Ilie", "Mara Dinu"]
    gymnasium = Student.objects.filter(cnp__in=CNP[:3]).order_by("register_number")
    assert [s.register_number for s in gymnasium] == [last_gymnasium + 1, last_gymnasium + 2, last_gymnasium + 3]
    assert Enrolment.objects.get(student__cnp=CNP[2]).school_class == cast.class_5a
    assert Enrolment.objects.get(student__cnp=CNP[3]).school_class == cast.class_3a
    assert User.objects.get(student__cnp=CNP[2]).email == "serban.ilie@example.test"
    assert [p.email for p in report.parents_created] == ["maria.pop@example.test"]
    assert report.parents_reused == [cast.parent]
    assert report.links == 3


def test_siblings_share_one_parent_and_an_existing_parent_is_reused(cast):
    parents_before = User.objects.filter(roles__contains=[Role.PARENT]).count()
    run(cast, GOOD)
    maria = User.objects.get(email="maria.pop@example.test")
    assert maria.roles == [Role.PARENT]
    assert sorted(link.student.first_name for link in maria.child_links.all()) == ["Ana", "Radu"]
    assert cast.parent.child_links.filter(student__student__cnp=CNP[3]).exists()
    assert User.objects.filter(roles__contains=[Role.PARENT]).count() == parents_before + 1


def test_the_import_is_audited_once_as_a_whole_and_per_person(cast):
    run(cast, GOOD)
    event = AuditEvent.objects.get(action=Action.STUDENTS_IMPORTED)
    assert event.source == Source.IMPORT and event.object_id == str(cast.year.pk)
    assert event.new_values["students"] == 4 and event.new_values["parents_created"] == 1
    assert event.new_values["links"] == 3
    assert AuditEvent.objects.filter(action=Action.STUDENT_CREATED, source=Source.IMPORT).count() == 4


def test_kept_register_numbers_come_first_and_move_the_counter(cast):
    report = run(cast, csv_file(f"Pop,Ana,{CNP[0]},V A,,,,,", f"Pop,Radu,{CNP[1]},V A,50,,,,"))
    assert report.ok, report.problems
    numbers = dict(Student.objects.filter(cnp__in=CNP[:2]).values_list("cnp", "register_number"))
    assert numbers == {CNP[1]: 50, CNP[0]: 51}


def test_every_kind_of_bad_row_is_reported_with_its_line_and_nothing_is_created(cast):
    data = csv_file(
        f"Pop,Ana,{CNP[0]},V A,,,,,",  # 2: good
        f",Radu,{CNP[1]},V A,,,,,",  # 3: no last name
        f"Ilie,,{CNP[2]},V A,,,,,",  # 4: no first name
        f"Dinu,Mara,{WRONG_CHECK_DIGIT},V A,,,,,",  # 5: bad CNP
        f"Pop,Ion,{CNP[0]},V A,,,,,",  # 6: CNP again (line 2)
        f"Marin,Ana,{cast.ana.cnp},V A,,,,,",  # 7: CNP of a student of the school
        f"Stan,Ion,{CNP[3]},IX Z,,,,,",  # 8: no such class
        f"Stan,Dan,{CNP[4]},V A,,nu-e-email,,,",  # 9: bad e-mail
        f"Stan,Eva,{CNP[5]},V A,a12,,,,",  # 10: bad număr matricol
        f"Stan,Ilie,{CNP[6]},V A,{cast.ana.register_number},,,,",  # 11: număr matricol taken
        f"Stan,Olga,{CNP[7]},V A,,,Stan,,",  # 12: parent without first name nor e-mail
        f"Stan,Paul,{CNP[8]},V A,,,Stan,Maria,parinte@",  # 13: parent's e-mail bad
        f"=cmd|' /C calc'!A0,Rita,{CNP[9]},V A,,,,,",  # 14: a formula for a name
        f"Stan,Sara,{CNP[10]},V A,,,,,,extra",  # 15: one cell too many
        f"Stan,Tudor,{CNP[11]},,,,,,",  # 16: no class
    )
    before = counts()
    report = run(cast, data)
    assert counts() == before
    assert not report.ok and report.students == []
    assert problems(report) == [
        (3, "nume"), (4, "prenume"), (5, "cnp"), (6, "cnp"), (7, "cnp"), (8, "clasa"), (9, "email"),
        (10, "numar_matricol"), (11, "numar_matricol"), (12, "parinte_prenume"), (12, "parinte_email"),
        (13, "parinte_email"), (14, "nume"), (15, ""), (16, "clasa"),
    ]  # fmt: skip
    messages = {(p.line, p.column): str(p.message) for p in report.problems}
    assert messages[(3, "nume")] == imports.LAST_NAME_MISSING
    assert messages[(5, "cnp")] == "Cifra de control a CNP-ului nu este corectă."
    assert messages[(6, "cnp")] == imports.CNP_IN_FILE.format(line=2)
    assert messages[(7, "cnp")] == imports.CNP_TAKEN
    assert "IX Z" in messages[(8, "clasa")]
    assert messages[(9, "email")] == imports.EMAIL_BAD
    assert messages[(10, "numar_matricol")] == imports.REGISTER_BAD
    assert messages[(14, "nume")] == imports.NAME_FORMULA
    assert str(report.problems[0]) == f"Rândul 3, nume: {imports.LAST_NAME_MISSING}"


def test_a_pupil_whose_cnp_carries_the_single_county_code_70_is_imported(cast):
    # Every CNP issued since May 2024 has 70 where the county was (a birth abroad transcribed lately).
    code_70 = cnp_with_check("6150207" + "70" + "311")
    report = run(cast, csv_file(f"Pop,Ana,{code_70},V A,,,,,"))
    assert report.ok, report.problems
    assert Enrolment.objects.get(student__cnp=code_70).school_class == cast.class_5a


def test_a_cnp_written_with_another_scripts_digits_is_refused_saying_so(cast):
    arabic = "".join(chr(0x0660 + int(digit)) for digit in CNP[0])
    fullwidth = "".join(chr(0xFF10 + int(digit)) for digit in CNP[1])
    before = counts()
    report = run(cast, csv_file(f"Pop,Ana,{arabic},V A,,,,,", f"Pop,Ion,{fullwidth},V A,,,,,"))
    assert counts() == before
    assert [(p.line, p.column, str(p.message)) for p in report.problems] == [
        (2, "cnp", "CNP-ul are cifre din alt alfabet: scrieți-l numai cu cifrele 0–9."),
        (3, "cnp", "CNP-ul are cifre din alt alfabet: scrieți-l numai cu cifrele 0–9."),
    ]


def test_e_mails_are_one_persons_each(cast):
    cast.mihai.email = "mihai@example.test"
    cast.mihai.save()
    data = csv_file(
        f"Pop,Ana,{CNP[0]},V A,,ana@example.test,,,",
        f"Pop,Ion,{CNP[1]},V A,,ANA@example.test,,,",  # 3: a student's e-mail twice
        f"Pop,Eva,{CNP[2]},V A,,mihai@example.test,,,",  # 4: a teacher's
        f"Pop,Dan,{CNP[3]},V A,,,Pop,Ana,ana@example.test",  # 5: the parent's is a student's
        f"Pop,Ene,{CNP[4]},V A,,,Avram,Ion,mama.anei@example.test",  # 6: an existing parent, another name
        f"Pop,Gig,{CNP[5]},V A,,,Pop,Ion,tata@example.test",
        f"Pop,Hoa,{CNP[6]},V A,,,Pop,Ionel,tata@example.test",  # 8: the same parent, another name
        f"Pop,Ica,{CNP[7]},V A,,,pop,  ion ,TATA@example.test",  # the same parent, written otherwise
    )
    report = run(cast, data)
    assert problems(report) == [
        (3, "email"), (4, "email"), (5, "parinte_email"), (6, "parinte_nume"), (8, "parinte_nume")
    ]  # fmt: skip
    assert [str(p.message) for p in report.problems] == [
        imports.EMAIL_IN_FILE.format(line=2), imports.EMAIL_TAKEN, imports.PARENT_IS_STUDENT.format(line=2),
        imports.PARENT_NAME_DIFFERS_FROM_ACCOUNT.format(name="Ioana Marin"), imports.PARENT_NAME_DIFFERS.format(line=7),
    ]  # fmt: skip


def test_an_e_mail_that_a_spreadsheet_would_run_as_a_formula_is_refused(cast):
    report = run(cast, csv_file(f"Pop,Ana,{CNP[0]},V A,,=1+2@example.test,Pop,Ion,+cmd@example.test"))
    assert [(p.column, str(p.message)) for p in report.problems] == [
        ("email", imports.EMAIL_BAD), ("parinte_email", imports.EMAIL_BAD)
    ]  # fmt: skip


def test_a_teachers_e_mail_is_not_taken_for_a_parent(cast):
    cast.mihai.email = "mihai@example.test"
    cast.mihai.save()
    report = run(cast, csv_file(f"Pop,Ana,{CNP[0]},V A,,,Popescu,Mihai,mihai@example.test"))
    assert [str(p.message) for p in report.problems] == [imports.PARENT_NOT_A_PARENT]


def test_only_the_schools_configurers_import(cast):
    for person in (cast.mihai, cast.parent, cast.stats):
        with pytest.raises(NotAllowed):
            run(cast, GOOD, actor=person)
    assert run(cast, GOOD, actor=cast.director).ok


def test_a_closed_year_takes_no_import(cast):
    cast.year.closed_at = timezone.now()
    cast.year.save()
    with pytest.raises(ValidationError, match="încheiat"):
        run(cast, GOOD)


def test_a_class_chosen_for_the_file_fills_empty_cells_and_refuses_others(cast):
    report = run(cast, csv_file(f"Pop,Ana,{CNP[0]}", header="nume,prenume,cnp"), school_class=cast.class_6b)
    assert report.ok and Enrolment.objects.get(student__cnp=CNP[0]).school_class == cast.class_6b
    report = run(cast, csv_file(f"Pop,Ion,{CNP[1]},V A,,,,,"), school_class=cast.class_6b)
    assert problems(report) == [(2, "clasa")]
    assert str(report.problems[0].message) == imports.CLASS_NOT_CHOSEN.format(value=cast.class_5a, chosen=cast.class_6b)


def test_a_class_of_another_year_cannot_be_chosen(cast):
    other = structure.year_create(
        actor=cast.admin, name="2040-2041", starts=date(2040, 9, 1), ends=date(2041, 8, 31), structure="semesters"
    )
    elsewhere = structure.class_create(actor=cast.admin, year=other, level=Level.V, letter="A")
    with pytest.raises(ValidationError, match="nu este în anul școlar"):
        run(cast, GOOD, school_class=elsewhere)


def test_a_dry_run_reports_what_would_be_imported_and_writes_nothing(cast):
    before = counts()
    report = run(cast, GOOD, dry_run=True)
    assert report.ok and report.dry_run and len(report.students) == 4 and report.links == 3
    assert counts() == before


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", imports.FILE_EMPTY),
        (b"  \n\r\n", imports.FILE_EMPTY),
        (bytes(range(256)) * 4, imports.FILE_NOT_UTF8),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(1, 256)), imports.FILE_NOT_UTF8),
        ("nume,prenume,cnp,clasa\nTârgu,Ştefan,1,V A\n".encode("cp1250"), imports.FILE_NOT_UTF8),
        (HEADER.encode("utf-16"), imports.FILE_NOT_UTF8),
        (b"x" * (imports.MAX_BYTES + 1), imports.FILE_TOO_BIG),
        (b"name,surname,id\nA,B,C\n", "Lipsesc coloanele: nume, prenume, cnp"),
        (csv_file(header=HEADER + ",telefon"), "Coloane necunoscute: telefon"),
        (csv_file(header=HEADER), "niciun rând"),
        (csv_file(*[f"A,B,{CNP[0]},V A,,,,,"] * (imports.MAX_ROWS + 1)), "mai mult de 2000"),
        (b'nume,prenume,cnp,clasa\n"Pop,Ana', imports.FIRST_NAME_MISSING),
        (b"nume,prenume,cnp,clasa\n" + b"a" * 200_000 + b",x,y,z\n", "CSV valid"),
    ],
)
def test_a_hostile_or_broken_file_is_refused_with_a_message_and_nothing_changes(cast, data, says):
    before = counts()
    report = run(cast, data)
    assert counts() == before
    assert not report.ok and str(says) in str(report.problems[0].message)


def test_a_bom_semicolons_cedillas_and_another_column_order_are_read(cast):
    text = f"\ufeffPrenume;Nume;Clasa;CNP\r\nŞtefania;Ţurcanu;v-a a;{CNP[0]}\r\n\r\n;;;\r\n"
    report = run(cast, text.encode())
    assert report.ok, report.problems
    user = Student.objects.get(cnp=CNP[0]).user
    assert (user.first_name, user.last_name) == ("Ștefania", "Țurcanu")


def test_a_multi_line_cell_keeps_the_next_rows_line_number(cast):
    data = f'nume,prenume,cnp,clasa\n"Pop\nPop",,{CNP[0]},V A\n\nPop,,{CNP[1]},V A\n'.encode()
    assert problems(run(cast, data)) == [(2, "prenume"), (5, "prenume")]


def test_the_template_has_the_documented_header_and_imports_as_is_into_nothing(cast):
    template = imports.template_csv()
    assert template.startswith("\ufeff") and template.strip("\ufeff\r\n").split(";") == list(imports.COLUMNS)
    assert str(run(cast, template.encode()).problems[0].message) == "Fișierul nu are niciun rând de date."


# -- the check alone, and the background job ------------------------------------------------


def test_the_check_finds_what_the_import_would_refuse_and_writes_nothing(cast):
    before = counts()
    checked = imports.students_check(actor=cast.admin, year=cast.year, data=GOOD)
    assert checked.ok and checked.rows == 4 and (checked.parents_new, checked.parents_existing) == (1, 1)
    bad = csv_file(f"Pop,,{CNP[0]},V A,,,,,", f"Pop,Ion,{cast.ana.cnp},X Y,,,,,")
    assert problems(imports.students_check(actor=cast.admin, year=cast.year, data=bad)) == problems(run(cast, bad))
    assert counts() == before
    with pytest.raises(NotAllowed):
        imports.students_check(actor=cast.mihai, year=cast.year, data=GOOD)


def queued(cast, data: bytes = GOOD, actor=None) -> ImportJob:
    return ImportJob.objects.create(year=cast.year, created_by=actor or cast.admin, data=data, rows=4)


def test_a_job_imports_as_its_uploader_and_runs_once_if_delivered_twice(cast):
    job = queued(cast)
    imports.students_import_run(job_id=job.pk)
    after = counts()
    imports.students_import_run(job_id=job.pk)  # redelivered (a worker lost after the commit)
    assert counts() == after
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.started_at and job.finished_at
    assert len(job.outcome["students"]) == 4 and job.outcome["parents_created"] == 1 and job.outcome["links"] == 3
    assert bytes(job.data) == b"" and imports.job_problems(job) == []
    event = AuditEvent.objects.get(action=Action.STUDENTS_IMPORTED)
    assert event.actor_id == cast.admin.pk and event.source == Source.IMPORT
    assert event.request_id == f"students-import-{job.pk}"


def test_a_job_whose_uploader_lost_the_right_or_whose_year_closed_is_refused(cast):
    job = queued(cast)
    cast.admin.roles = [Role.TEACHER]
    cast.admin.save(update_fields=["roles"])
    before = counts()
    imports.students_import_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.REFUSED and counts() == before
    assert [str(problem) for problem in imports.job_problems(job)] == [str(imports.JOB_NOT_ALLOWED)]
    closed = queued(cast, actor=cast.director)
    cast.year.closed_at = timezone.now()
    cast.year.save(update_fields=["closed_at"])
    imports.students_import_run(job_id=closed.pk)
    closed.refresh_from_db()
    assert closed.status == ImportJob.Status.REFUSED and "este încheiat" in closed.outcome["problems"][0][2]


def test_a_job_that_breaks_keeps_nothing_says_so_and_reports_the_error(cast, monkeypatch):
    job = queued(cast)

    def broken(*args, **kwargs):
        structure.student_create(
            actor=cast.admin, first_name="Ana", last_name="Pop", cnp=CNP[0], school_class=cast.class_5a
        )
        raise RuntimeError("the database went away")

    monkeypatch.setattr(imports.students, "_rows_write", broken)
    before = counts()
    with pytest.raises(RuntimeError):  # raised on, for the worker's error reporting
        imports.students_import_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and bytes(job.data) == b"" and counts() == before
    assert imports.job_problems(job)[0].message == str(imports.JOB_FAILED)
