"""The SIIIR export page: the secretariat and management download the year's file; nobody else
sees the page; a bad choice is refused in Romanian and records nothing."""

import io
import zipfile
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from audit.actions import Action
from audit.models import AuditEvent

URL = "/raportare/siiir/"


def exports_recorded() -> int:
    return AuditEvent.objects.filter(action=Action.SIIIR_EXPORTED).count()


@pytest.mark.parametrize("who", ["admin", "director"])
def test_the_secretariat_and_management_download_the_years_file(cast, as_user, who):
    client = as_user(getattr(cast, who))
    page = client.get(URL)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Export pentru SIIIR" in text and "situatie_anuala" in text
    assert 'value="xlsx" required id="id_code_0" checked' in text  # the default format
    response = client.post(URL, {"year": cast.year.pk, "code": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].startswith('attachment; filename="siiir-')
    assert "elevi" in load_workbook(io.BytesIO(response.content), read_only=True).sheetnames
    assert exports_recorded() == 1


def test_a_csv_archive_for_an_interval(cast, as_user):
    client = as_user(cast.admin)
    day = cast.year.starts + timedelta(days=5)
    response = client.post(URL, {"year": cast.year.pk, "code": "csv", "since": day.isoformat(), "until": "30.09." +
                                 str(cast.year.starts.year)})  # fmt: skip
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    unit = zipfile.ZipFile(io.BytesIO(response.content)).read("unitate.csv").decode()
    assert f"{day.isoformat()},{cast.year.starts.year}-09-30" in unit


@pytest.mark.parametrize("who", ["mihai", "elena", "parent", "stats", "ana"])
def test_nobody_else_sees_the_page(cast, as_user, who):
    person = getattr(cast, who)
    client = as_user(person.user if hasattr(person, "user") else person)
    assert client.get(URL).status_code == 404
    assert client.post(URL, {"year": cast.year.pk, "code": "xlsx"}).status_code == 404
    assert exports_recorded() == 0


def test_signed_out_people_are_sent_to_sign_in(cast, client_a):
    response = client_a.get(URL)
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"code": "pdf"}, "Alegeți un format din listă."),
        ({"code": ""}, "Alegeți formatul."),
        ({"year": "999999"}, "Alegeți un an din listă."),
        ({"year": "abc"}, "Alegeți un an din listă."),
        ({"since": "31.02.2026"}, "Scrieți o dată validă"),
        ({"since": "1900-01-01"}, "Intervalul trebuie să fie în anul școlar"),
        ({"since": "@since", "until": "@starts"}, "Data de început a intervalului este după data de sfârșit."),
    ],
)
def test_a_bad_choice_is_refused_in_romanian_and_records_nothing(cast, as_user, data, message):
    client = as_user(cast.admin)
    dates = {"@since": (cast.year.starts + timedelta(days=3)).isoformat(), "@starts": cast.year.starts.isoformat()}
    posted = {"year": cast.year.pk, "code": "xlsx", **{key: dates.get(value, value) for key, value in data.items()}}
    response = client.post(URL, posted)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert exports_recorded() == 0


def test_the_page_is_linked_from_home_for_those_who_may_use_it(cast, as_user):
    assert URL in as_user(cast.admin).get("/").content.decode()
    assert URL not in as_user(cast.mihai).get("/").content.decode()
