"""The import pages: students from CSV, the file to fill in, copying a year; configurers only."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from accounts.models import ParentLink, User
from audit.actions import Action
from audit.models import AuditEvent
from catalog.structure import imports, tasks
from catalog.structure import services as structure
from catalog.structure.models import Enrolment, ImportJob, SchoolClass, Student
from tests.catalog.conftest import cnp_for

URL = "/configurare/import/"
COPY_URL = "/configurare/import/copiere-an/"
HEADER = "nume,prenume,cnp,clasa,numar_matricol,email,parinte_nume,parinte_prenume,parinte_email"
CNP = [cnp_for(date(2015, 3, day), 500 + day) for day in range(1, 10)]
GOOD = (
    f"{HEADER}\nPop,Ana,{CNP[0]},V A,,,Pop,Maria,maria.pop@example.test\n"
    f"Pop,Radu,{CNP[1]},V A,,,Pop,Maria,maria.pop@example.test\n"
).encode()


def upload(client, content: bytes, name: str = "elevi.csv", **fields):
    return client.post(URL, {"file": SimpleUploadedFile(name, content, "text/csv"), **fields})


def counts():
    return (
        Student.objects.count(), User.objects.count(), ParentLink.objects.count(), Enrolment.objects.count(),
        ImportJob.objects.count(),
    )  # fmt: skip


@pytest.fixture
def sent(monkeypatch):
    """The import jobs sent to the workers (by id), instead of the broker."""
    jobs: list[int] = []
    monkeypatch.setattr(tasks.students_import_job, "delay", jobs.append)
    return jobs


def upload_and_run(client, content: bytes, capture, sent, **fields):
    """Upload a file, let its transaction's callbacks send the job, and run it as a worker would."""
    with capture() as callbacks:
        response = upload(client, content, **fields)
    for callback in callbacks:
        callback()
    for job_id in sent:
        tasks.students_import_job(job_id)
    return response


def test_the_secretary_imports_a_file_in_the_background_and_sees_who_was_created(
    cast, as_user, django_capture_on_commit_callbacks, sent
):
    client = as_user(cast.admin)
    page = client.get(URL)
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.content.decode()
    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(client, GOOD)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{URL}{job.pk}/"
    assert job.status == ImportJob.Status.QUEUED and job.rows == 2 and job.file_name == "elevi.csv"
    assert not Student.objects.filter(cnp__in=CNP[:2]).exists() and sent == []  # sent only once committed
    waiting = client.get(response["Location"]).content.decode()
    assert 'data-testid="import-waiting"' in waiting and 'hx-trigger="every 2s"' in waiting
    for callback in callbacks:
        callback()
    assert sent == [job.pk]
    tasks.students_import_job(job.pk)
    text = client.get(response["Location"]).content.decode()
    assert 'data-testid="import-done"' in text and "hx-trigger" not in text
    assert "2 elevi importați" in text and "Pop Radu" in text
    assert Student.objects.filter(cnp__in=CNP[:2]).count() == 2
    assert User.objects.get(email="maria.pop@example.test").child_links.count() == 2
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and bytes(job.data) == b""  # the file is not kept
    listed = client.get(URL).content.decode()
    assert 'data-testid="import-jobs"' in listed and f"{URL}{job.pk}/" in listed and "2 elevi" in listed


def test_a_job_refused_by_what_changed_meanwhile_reports_it_and_writes_nothing(
    cast, as_user, django_capture_on_commit_callbacks, sent
):
    client = as_user(cast.admin)
    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(client, GOOD)
    structure.student_create(
        actor=cast.admin, first_name="Ana", last_name="Pop", cnp=CNP[0], school_class=cast.class_5a
    )  # the same student, added by hand before the job ran
    before = counts()
    for callback in callbacks:
        callback()
    tasks.students_import_job(sent[0])
    text = client.get(response["Location"]).content.decode()
    assert 'data-testid="import-errors"' in text and "<td>2</td><td>cnp</td>" in text
    assert counts() == before
    assert ImportJob.objects.get().status == ImportJob.Status.REFUSED


def test_a_bad_file_shows_every_problem_by_line_and_column_and_changes_nothing(cast, as_user):
    client = as_user(cast.director)
    before = counts()
    bad = f"{HEADER}\nPop,,{CNP[0]},V A,,,,,\nPop,Ion,{cast.ana.cnp},X Y,,,,,\n".encode()
    response = upload(client, bad)
    text = response.content.decode()
    assert response.status_code == 400 and 'data-testid="import-errors"' in text
    assert (
        "<td>2</td><td>prenume</td>" in text and "<td>3</td><td>cnp</td>" in text and "<td>3</td><td>clasa</td>" in text
    )
    assert str(imports.CNP_TAKEN) in text
    assert counts() == before


def test_the_class_chosen_on_the_page_is_used_for_the_whole_file(
    cast, as_user, django_capture_on_commit_callbacks, sent
):
    content = f"nume;prenume;cnp\nIonescu;Dan;{CNP[2]}\n".encode()
    response = upload_and_run(
        as_user(cast.admin), content, django_capture_on_commit_callbacks, sent, school_class=cast.class_6b.pk
    )
    assert response.status_code == 302
    assert Enrolment.objects.get(student__cnp=CNP[2]).school_class == cast.class_6b


def test_the_dry_run_checks_the_file_at_once_and_writes_nothing(cast, as_user, django_capture_on_commit_callbacks):
    before = counts()
    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(as_user(cast.admin), GOOD, dry_run="on")
    text = response.content.decode()
    assert response.status_code == 200 and 'data-testid="import-checked"' in text
    assert "s-ar crea 2 elevi și 1 conturi de părinți (0 părinți existenți)" in text
    assert counts() == before and callbacks == [] and not ImportJob.objects.exists()


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "Fișierul"),
        (b"\x00\x01\x02\xff\xfe" * 100, "UTF-8"),
        ("nume,prenume,cnp,clasa\nŢară,Ştefan,1,V A\n".encode("iso8859_2"), "UTF-8"),
        (b"a" * (imports.MAX_BYTES + 10), "2 MB"),
        (b"elev,clasa\nAna,V A\n", "Lipsesc coloanele"),
        ("\ufeff" + HEADER.replace(",", ";") + f'\n=HYPERLINK("x");Ana;{CNP[3]};V A;;;;;\n', "=, +, - sau @"),
        (b"\xef\xbb\xbf", "gol"),
    ],
)
def test_a_hostile_file_gets_a_romanian_message_never_a_500(cast, as_user, content, says):
    data = content.encode() if isinstance(content, str) else content
    before = counts()
    response = upload(as_user(cast.admin), data)
    assert response.status_code == 400
    assert says in response.content.decode()
    assert counts() == before


def test_a_post_without_a_file_or_with_a_foreign_class_is_refused(cast, as_user):
    client = as_user(cast.admin)
    assert "Alegeți fișierul" in client.post(URL, {}).content.decode()
    response = upload(client, GOOD, school_class="999999")
    assert response.status_code == 400 and "Alegeți o clasă din listă" in response.content.decode()


def test_the_template_file_downloads_with_the_documented_header(cast, as_user):
    response = as_user(cast.admin).get(URL + "model.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response.content.decode("utf-8-sig").strip() == ";".join(imports.COLUMNS)


@pytest.mark.parametrize("person", ["mihai", "elena", "parent", "stats"])
def test_anyone_but_a_configurer_gets_404_on_every_import_page(cast, as_user, person):
    client = as_user(getattr(cast, person))
    job = ImportJob.objects.create(year=cast.year, created_by=cast.admin, data=GOOD)
    before = counts()
    for response in (
        client.get(URL), upload(client, GOOD), client.get(URL + "model.csv"), client.get(COPY_URL),
        client.post(COPY_URL, {"source": cast.year.pk, "target": cast.year.pk, "confirm": "1"}),
        client.get(f"{URL}{job.pk}/"),
    ):  # fmt: skip
        assert response.status_code == 404
    assert counts() == before


def test_a_job_page_that_does_not_exist_is_404_and_a_late_job_says_so(cast, as_user):
    client = as_user(cast.director)
    assert client.get(f"{URL}999999/").status_code == 404
    job = ImportJob.objects.create(year=cast.year, created_by=cast.admin, data=GOOD, rows=2)
    assert "serviciul care face importurile pare oprit" not in client.get(f"{URL}{job.pk}/").content.decode()
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=6))
    page = client.get(f"{URL}{job.pk}/").content.decode()
    assert "serviciul care face importurile pare oprit" in page and 'data-testid="import-waiting"' in page
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING)  # a worker has it: not late
    page = client.get(f"{URL}{job.pk}/").content.decode()
    assert "serviciul care face importurile pare oprit" not in page and 'data-testid="import-waiting"' in page


def test_signed_out_visitors_are_sent_to_sign_in(cast, client_a):
    response = client_a.get(URL)
    connection.set_schema("school_a")
    assert response.status_code == 302 and "/cont/login/" in response["Location"]


def test_copying_a_year_shows_the_plan_then_copies_on_confirmation(cast, as_user, next_year):
    client = as_user(cast.admin)
    page = client.get(COPY_URL).content.decode()
    assert f'<option value="{next_year.pk}" selected>' in page
    fields = {"source": cast.year.pk, "target": next_year.pk, "assignments": "on"}
    preview = client.post(COPY_URL, fields).content.decode()
    assert 'data-testid="copy-plan"' in preview and "Clasa a VI-a A" in preview and "din Clasa a V-a A" in preview
    assert not SchoolClass.objects.filter(year=next_year).exists()
    done = client.post(COPY_URL, {**fields, "confirm": "1"})
    assert done.status_code == 200 and 'data-testid="copy-done"' in done.content.decode()
    assert SchoolClass.objects.filter(year=next_year).count() == 3
    assert AuditEvent.objects.filter(action=Action.YEAR_COPIED).count() == 1
    again = client.post(COPY_URL, {**fields, "confirm": "1"})
    assert again.status_code == 400 and "are deja clase" in again.content.decode()
    assert SchoolClass.objects.filter(year=next_year).count() == 3


@pytest.mark.parametrize("fields", [{}, {"source": "x", "target": "1"}, {"source": "999999", "target": "999999"}])
def test_bad_copy_choices_are_refused_with_a_message(cast, as_user, next_year, fields):
    response = as_user(cast.admin).post(COPY_URL, {**fields, "confirm": "1"})
    assert response.status_code == 400 and "Alegeți" in response.content.decode()
    assert not SchoolClass.objects.filter(year=next_year).exists()


# The command line: the same import for operations, from a shell.


def import_command(path, *args, out=None) -> str:
    out = out or StringIO()
    try:
        call_command("catalog_import", "--school", "school-a", "--file", str(path), *args, stdout=out)
    finally:
        connection.set_schema("school_a")
    return out.getvalue()


def test_the_command_line_dry_run_prints_the_report_and_writes_nothing(cast, tmp_path):
    path = tmp_path / "elevi.csv"
    path.write_bytes(GOOD)
    before = counts()
    output = import_command(path, "--as", cast.admin.username, "--dry-run")
    assert "2 elevi" in output and "nu s-a salvat nimic" in output.lower()
    assert counts() == before
    output = import_command(path, "--as", cast.admin.username)
    assert Student.objects.filter(cnp__in=CNP[:2]).count() == 2 and "2 elevi importați" in output


def test_the_command_line_reports_bad_rows_and_refuses_strangers(cast, tmp_path):
    path = tmp_path / "elevi.csv"
    path.write_bytes(f"{HEADER}\nPop,,{CNP[0]},V A,,,,,\n".encode())
    out = StringIO()
    with pytest.raises(CommandError, match="Nu s-a importat nimic: 1 probleme") as failed:
        import_command(path, "--as", cast.admin.username, out=out)
    assert failed.value.returncode == 1
    assert f"Rândul 2, prenume: {imports.FIRST_NAME_MISSING}" in out.getvalue()
    with pytest.raises(CommandError, match="configurează"):
        import_command(path, "--as", cast.mihai.username)
    with pytest.raises(CommandError, match="nu-exista"):
        call_command("catalog_import", "--school", "nu-exista", "--file", str(path), "--as", "x")
    connection.set_schema("school_a")
    assert not Student.objects.filter(cnp=CNP[0]).exists()


def test_the_command_line_takes_one_class_for_the_whole_file(cast, tmp_path):
    path = tmp_path / "elevi.csv"
    path.write_bytes(f"nume,prenume,cnp\nPop,Ana,{CNP[4]}\n".encode())
    import_command(path, "--as", cast.admin.username, "--class", "a VI-a B")
    assert Enrolment.objects.get(student__cnp=CNP[4]).school_class == cast.class_6b
    with pytest.raises(CommandError, match="No class"):
        import_command(path, "--as", cast.admin.username, "--class", "XII Z")


def test_the_years_repetenti_stay_at_their_level_in_the_copy(cast, as_user, next_year):
    from catalog.grades.models import YearResult
    from catalog.structure.models import Enrolment

    YearResult.objects.create(
        student=cast.bogdan, school_class=cast.class_5a, status=YearResult.Status.REPETENT, decided_by=cast.elena
    )
    client = as_user(cast.admin)
    fields = {"source": cast.year.pk, "target": next_year.pk}
    preview = client.post(COPY_URL, fields).content.decode()
    assert "Bogdan Avram" in preview  # no V A next year to stay in: named among the notes to check
    client.post(COPY_URL, {**fields, "confirm": "1"})
    assert Enrolment.objects.get(student=cast.ana, school_class__year=next_year).school_class.level == "06"
    assert not Enrolment.objects.filter(student=cast.bogdan, school_class__year=next_year).exists()  # no V A next year
