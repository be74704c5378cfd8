"""The history of the years before 2022-23 on the pages: the director's import page (nobody
else sees it; a good file is imported by a background job, whose page shows how it went),
and a student's earlier years on the student page, for the student, their parent and the
school's management (`?an=`; a year that is not the student's is a 404)."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import ParentLink
from audit.models import AuditEvent
from catalog.grades import closing, legacy, tasks
from catalog.grades.models import LegacyAverage
from catalog.structure.models import ImportJob
from tests.catalog.web.test_queries import queries_of

URL = "/configurare/import/istoric/"
HEADER = "cnp;disciplina;semestru;note;teza;medie"


def upload(client, year, text: str, **fields):
    data = f"{HEADER}\n{text}\n".encode()
    return client.post(URL, {"year": year.pk, "file": SimpleUploadedFile("istoric.csv", data, "text/csv"), **fields})


@pytest.fixture
def sent(monkeypatch):
    """The import jobs sent to the workers (by id), instead of the broker."""
    jobs: list[int] = []
    monkeypatch.setattr(tasks.legacy_import_job, "delay", jobs.append)
    return jobs


def test_the_director_imports_a_legacy_year_in_the_background_and_sees_what_was_imported(
    cast, old, as_user, django_capture_on_commit_callbacks, sent
):
    client = as_user(cast.director)
    page = client.get(URL)
    text = page.content.decode()
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in text and "2020-2021" in text
    assert cast.year.name not in text  # only years before 2022-23 are offered
    rows = f"{old.sara.cnp};Matematică;1;9 9 8;8;\n{old.sara.cnp};Matematică;2;;;9\n{old.irina.cnp};Matematică;1;;;B"
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, old.year, rows)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/configurare/import/{job.pk}/"
    assert (job.kind, job.year, job.rows, job.file_name) == (ImportJob.Kind.LEGACY, old.year, 3, "istoric.csv")
    assert sent == [job.pk] and not LegacyAverage.objects.exists()  # the job has not run yet
    waiting = client.get(response["Location"]).content.decode()
    assert 'data-testid="import-waiting"' in waiting and "Import istoric din CSV" in waiting

    tasks.legacy_import_job(job.pk)

    text = client.get(response["Location"]).content.decode()
    assert 'data-testid="import-done"' in text and "hx-trigger" not in text
    assert "3 medii semestriale importate" in text and "pentru 2 elevi" in text
    assert text.index("clasa a II-a A") < text.index("clasa a VIII-a A")
    assert LegacyAverage.objects.filter(student=old.sara).count() == 2
    listed = client.get(URL).content.decode()
    assert 'data-testid="import-jobs"' in listed and f"/configurare/import/{job.pk}/" in listed and "3 medii" in listed


def test_a_bad_file_shows_its_problems_and_a_dry_run_only_checks(cast, old, as_user, sent):
    client = as_user(cast.director)
    response = upload(client, old.year, f"{old.sara.cnp};Matematică;1;9 9 8;8;9")
    text = response.content.decode()
    assert response.status_code == 400 and 'data-testid="import-errors"' in text
    assert "<td>2</td><td>medie</td>" in text and str(legacy.DIFFERS.format(given=9, computed=8)) in text
    response = upload(client, old.year, f"{old.sara.cnp};Matematică;1;9 9 8;8;", dry_run="on")
    text = response.content.decode()
    assert response.status_code == 200 and 'data-testid="import-checked"' in text
    assert "s-ar salva 1 medii semestriale ale unui număr de 1 elevi" in text
    assert not LegacyAverage.objects.exists() and not ImportJob.objects.exists() and sent == []


def test_a_history_job_s_page_is_the_director_s_only(cast, old, as_user):
    job = ImportJob.objects.create(kind=ImportJob.Kind.LEGACY, year=old.year, created_by=cast.director, data=b"x")
    assert as_user(cast.director).get(f"/configurare/import/{job.pk}/").status_code == 200
    for someone in (cast.admin, cast.mihai, cast.parent):  # the secretary sees the students' jobs, not this one
        assert as_user(someone).get(f"/configurare/import/{job.pk}/").status_code == 404


def test_the_form_refuses_a_year_that_is_not_offered_and_a_missing_file(cast, old, as_user):
    client = as_user(cast.director)
    response = upload(client, cast.year, f"{old.sara.cnp};Matematică;1;;;9")
    assert response.status_code == 400 and "Alegeți un an din listă." in response.content.decode()
    response = client.post(URL, {"year": old.year.pk})
    assert response.status_code == 400 and "Alegeți fișierul." in response.content.decode()
    assert not LegacyAverage.objects.exists()


def test_nobody_but_the_director_opens_the_import_or_its_template(cast, old, as_user):
    for someone in (cast.admin, cast.mihai, cast.parent, cast.stats):
        client = as_user(someone)
        assert client.get(URL).status_code == 404
        assert client.get(f"{URL}model.csv").status_code == 404
        assert upload(client, old.year, f"{old.sara.cnp};Matematică;1;;;9").status_code == 404
    assert not LegacyAverage.objects.exists()
    template = as_user(cast.director).get(f"{URL}model.csv")
    assert template.status_code == 200 and template.content.decode() == legacy.template_csv()


def test_the_configuration_index_links_the_imports(cast, as_user):
    assert URL in as_user(cast.director).get("/configurare/").content.decode()
    text = as_user(cast.admin).get("/configurare/").content.decode()
    assert "/configurare/import/" in text and URL not in text


def _imported(cast, old) -> None:
    data = f"{HEADER}\n{old.sara.cnp};Matematică;1;9 9 8;8;\n{old.sara.cnp};Matematică;2;;;9\n".encode()
    assert legacy.legacy_import(actor=cast.director, year=old.year, data=data).ok


def test_a_parent_sees_their_child_s_legacy_year_with_its_semesters_and_annual_average(cast, old, as_user):
    _imported(cast, old)
    ParentLink.objects.create(parent=cast.parent, student=old.sara.user)
    client = as_user(cast.parent)
    text = client.get(f"/elevi/{old.sara.pk}/").content.decode()
    assert "Elevul nu este înscris într-o clasă în anul școlar curent." in text  # Sara left long ago
    assert f'href="?an={old.year.pk}"' in text  # her only year, reached from today's page
    response = client.get(f"/elevi/{old.sara.pk}/?an={old.year.pk}")
    text = response.content.decode()
    assert response.status_code == 200 and 'data-testid="legacy"' in text
    assert "<strong>8</strong> (9 9 8; teza 8)" in text and "<strong>9</strong>" in text
    assert "anuală: <strong>8,50</strong>" in text
    assert "Cerere de motivare" not in text  # requests belong to the current year


def test_a_student_switches_between_their_years(cast, old, as_user):
    from catalog.structure import services as structure

    structure.enrolment_add(actor=cast.admin, student=cast.ana, school_class=old.ii_a, starts=old.year.starts)
    client = as_user(cast.ana.user)
    text = client.get(f"/elevi/{cast.ana.pk}/").content.decode()
    assert f'<strong aria-current="page">{cast.year.name}</strong>' in text and f'href="?an={old.year.pk}"' in text
    text = client.get(f"/elevi/{cast.ana.pk}/?an={old.year.pk}").content.decode()
    assert '<strong aria-current="page">2020-2021</strong>' in text and f'href="?an={cast.year.pk}"' in text


def test_a_year_that_is_not_the_student_s_or_not_a_year_is_a_404(cast, old, as_user):
    client = as_user(cast.parent)  # Ana's mother; Ana was not at school in 2020-2021
    for asked in (old.year.pk, 999999, "x", "", "1 OR 1=1"):
        assert client.get(f"/elevi/{cast.ana.pk}/", {"an": asked}).status_code == 404, asked
    assert client.get(f"/elevi/{old.sara.pk}/", {"an": old.year.pk}).status_code == 404  # not her child


def test_a_legacy_year_s_page_costs_the_same_queries_for_one_or_many_subjects(
    cast, old, as_user, django_assert_max_num_queries
):
    _imported(cast, old)
    client = as_user(cast.director)
    url = f"/elevi/{old.sara.pk}/?an={old.year.pk}"
    few = queries_of(django_assert_max_num_queries, client, url, 25)
    rows = "\n".join(f"{old.sara.cnp};{name};{n};9 8 7;;" for name in ("Limba și literatura română", "Educație fizică",
                                                                    "Religie") for n in (1, 2))  # fmt: skip
    assert legacy.legacy_import(actor=cast.director, year=old.year, data=f"{HEADER}\n{rows}\n".encode()).ok
    assert queries_of(django_assert_max_num_queries, client, url, few) == few


CLOSE = f"{URL}incheiere/"


def test_the_director_closes_an_imported_year_and_it_is_frozen(cast, old, as_user):
    """A year of history closes as it is (no results under today's rules); then it takes no
    import, is no longer offered, and its averages cannot change."""
    client = as_user(cast.director)
    assert legacy.legacy_import(
        actor=cast.director, year=old.year, data=f"{HEADER}\n{old.sara.cnp};Matematică;1;;;9\n".encode()
    ).ok
    page = client.get(URL).content.decode()
    assert CLOSE in page and "Încheie anul 2020-2021" in page

    response = client.post(CLOSE, {"year": old.year.pk}, follow=True)

    old.year.refresh_from_db()
    assert old.year.is_closed and "istoricul lui nu se mai poate schimba" in response.content.decode()
    event = AuditEvent.objects.get(action="year.closed")
    assert (event.new_values["legacy"], event.new_values["averages"]) == (True, 1)
    assert upload(client, old.year, f"{old.sara.cnp};Matematică;2;;;9").status_code == 400  # not offered any more
    page = client.get(URL).content.decode()
    assert "Încheie anul 2020-2021" not in page and "Nu există un an școlar deschis" in page
    assert 'enctype="multipart/form-data"' not in page  # nothing left to import into
    with pytest.raises(ValidationError, match="încheiat"):
        closing.year_close(actor=cast.director, year=old.year)
    assert LegacyAverage.objects.count() == 1


def test_closing_an_imported_year_refuses_bad_input_and_other_people(cast, old, as_user):
    client = as_user(cast.director)
    for year in ("", "abc", "99999999999999999999", str(cast.year.pk)):  # today's year is not history
        response = client.post(CLOSE, {"year": year}, follow=True)
        assert "Alegeți un an de dinainte de 2022-2023" in response.content.decode()
    assert client.get(CLOSE).status_code == 405
    for someone in (cast.admin, cast.mihai, cast.parent):
        assert as_user(someone).post(CLOSE, {"year": old.year.pk}).status_code == 404
    old.year.refresh_from_db()
    cast.year.refresh_from_db()
    assert not old.year.is_closed and not cast.year.is_closed
