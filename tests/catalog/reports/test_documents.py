"""Official documents as PDF: what they say, who may have them, how they are checked."""

import re

import pytest

from audit.models import AuditEvent
from catalog.reports import codes, services
from catalog.reports.models import IssuedDocument
from catalog.structure.identity import SchoolIdentity
from tests.catalog.reports.conftest import pdf_fonts, pdf_text
from tests.catalog.web.conftest import SchoolClient

VERIFY = "https://school-a.localhost/verificare/"


class _Any404:
    """Equal to any answer whose status is 404."""

    def __eq__(self, response) -> bool:
        return getattr(response, "status_code", None) == 404


Any404 = _Any404()


def _anonymous(school) -> SchoolClient:
    client = SchoolClient(HTTP_HOST=f"{school.slug}.localhost")
    client.schema = school.schema_name
    return client


def _school(school_a) -> SchoolIdentity:
    return SchoolIdentity.of(school_a)


def test_the_transcript_has_the_names_with_their_diacritics_the_grades_and_page_numbers(cast, stefan, school_a):
    issued = services.transcript_issue(actor=cast.admin, student=stefan, school=_school(school_a), verify_url=VERIFY)
    text, pages = pdf_text(issued.pdf)
    assert "Țăranu Ștefan" in text and "Școala Gimnazială nr. 1 Ștefănești" in text
    assert "FOAIA MATRICOLĂ" in text and "Matematică" in text and cast.year.name in text
    assert re.search(r"Pagina 1 din 1\b", text) and pages == 1
    assert {"DejaVuSansCondensed", "DejaVuSansCondensed-Bold"} <= pdf_fonts(issued.pdf)  # the glyphs are ours
    assert codes.code_shown(issued.document.code) in text
    assert issued.document.sha256 and AuditEvent.objects.filter(action="document.issued").exists()


def test_the_certificate_is_numbered_and_names_the_purpose_and_the_director(cast, stefan, school_a):
    first = services.certificate_issue(actor=cast.admin, student=stefan, purpose="alocația de stat",
                                       school=_school(school_a), verify_url=VERIFY)  # fmt: skip
    second = services.certificate_issue(actor=cast.parent, student=cast.ana, purpose="abonamentul de transport",
                                        school=_school(school_a), verify_url=VERIFY)  # fmt: skip
    assert (first.document.number, second.document.number) == (1, 2)
    text, _pages = pdf_text(first.pdf)
    assert "ADEVERINȚĂ" in text and "Ștefan Țăranu" in text and "alocația de stat" in text
    assert "Nr. 1" in text and cast.director.get_full_name() in text


def test_the_class_catalog_lists_every_student_with_grades_and_dates(cast, stefan, school_a):
    issued = services.class_catalog_issue(actor=cast.elena, school_class=cast.class_5a, school=_school(school_a),
                                          verify_url=VERIFY)  # fmt: skip
    text, pages = pdf_text(issued.pdf)
    assert all(name in text for name in ("Marin Ana", "Avram Bogdan", "Țăranu Ștefan"))
    assert re.search(r"9/\d\d\.\d\d", text) and f"Pagina {pages} din {pages}" in text and pages >= 3


# -- the doors ---------------------------------------------------------------------------


def test_a_parent_gets_their_childs_transcript_and_a_404_for_another(cast, stefan, as_user):
    page = as_user(cast.parent)
    response = page.post(f"/elevi/{cast.ana.pk}/foaia-matricola/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert page.post(f"/elevi/{stefan.pk}/foaia-matricola/").status_code == 404
    assert page.get(f"/elevi/{cast.ana.pk}/foaia-matricola/").status_code == 405


def test_a_teacher_gets_the_catalog_of_a_class_they_teach_only_their_subjects(cast, stefan, as_user, made):
    page = as_user(cast.mihai)
    assert made(page, f"/clase/{cast.class_3a.pk}/catalog/") == (Any404, None)
    _response, pdf = made(page, f"/clase/{cast.class_5a.pk}/catalog/")
    text, _pages = pdf_text(pdf)
    assert "Matematică" in text and "Religie" not in text


def test_a_teacher_does_not_issue_certificates(cast, as_user):
    assert as_user(cast.elena).post(f"/elevi/{cast.ana.pk}/adeverinta/", {"purpose": "x"}).status_code == 404


def test_the_verification_page_says_valid_or_revoked_and_never_shows_grades(cast, stefan, school_a):
    client_a = _anonymous(school_a)
    issued = services.transcript_issue(actor=cast.admin, student=stefan, school=_school(school_a), verify_url=VERIFY)
    shown = codes.code_shown(issued.document.code)
    page = client_a.get(f"/verificare/{shown.lower()}/")
    body = page.content.decode()
    assert page.status_code == 200 and "Document valabil" in body and "Ștefan Țăranu" in body
    assert "Matematică" not in body and ">10<" not in body
    services.document_revoke(actor=cast.admin, document=issued.document, reason="greșit")
    assert "ANULAT" in client_a.get(f"/verificare/{shown}/").content.decode()


@pytest.mark.parametrize("typed, says", [("ABCD-EFGH-JKMN", "nu este valid"), ("x" * 80, "nu este valid")])
def test_a_forged_code_says_so(cast, school_a, typed, says):
    response = _anonymous(school_a).get("/verificare/", {"cod": typed})
    assert response.status_code == 404 and says in response.content.decode()


def test_a_well_formed_code_of_no_document_says_none_was_issued(cast, school_a):
    response = _anonymous(school_a).get(f"/verificare/{codes.code_new()}/")
    assert response.status_code == 404 and "Nu există un document" in response.content.decode()


def test_the_certificate_register_lists_the_years_numbers(cast, stefan, as_user, school_a):
    services.certificate_issue(actor=cast.admin, student=stefan, purpose="bursă", school=_school(school_a),
                               verify_url=VERIFY)  # fmt: skip
    page = as_user(cast.admin).get("/documente/adeverinte/")
    assert page.status_code == 200 and "Nr. 1" in page.content.decode()
    assert as_user(cast.mihai).get("/documente/adeverinte/").status_code == 404
    assert IssuedDocument.objects.filter(kind="certificate").count() == 1


# -- the certificate register under load, and pictures --------------------------------------


@pytest.mark.slow
def test_twenty_concurrent_certificates_get_numbers_without_gaps_or_duplicates(django_db_setup, django_db_blocker):
    from tests.catalog.api.live_school import live_school_drop, live_school_make

    with django_db_blocker.unblock():
        live = live_school_make("scoala-adeverinte", students=4)
        try:
            numbers, errors = _issue_concurrently(live, 20)
            assert errors == []
            assert sorted(numbers) == list(range(1, 21))
        finally:
            live_school_drop(live)


def _issue_concurrently(live, count: int) -> tuple[list[int], list[BaseException]]:
    import threading

    from django.db import connection
    from django_tenants.utils import schema_context

    from accounts.models import User

    barrier, numbers, errors = threading.Barrier(count), [], []
    school = SchoolIdentity.of(live.school)

    def ask(n: int) -> None:
        try:
            with schema_context(live.school.schema_name):
                admin = User.objects.get(username="secretara.sync")
                barrier.wait()
                student = live.students[n % len(live.students)]
                issued = services.certificate_issue(actor=admin, student=student, purpose="alocația de stat",
                                                    school=school, verify_url=VERIFY)  # fmt: skip
                numbers.append(issued.document.number)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return numbers, errors


def test_page_one_of_each_document_as_a_picture(cast, stefan, school_a):
    """Pictures a person can look at: ARTEFACTS/documents/<kind>.png (page 1 of each)."""
    import pypdfium2

    from tests.helpers import ARTEFACTS

    folder = ARTEFACTS / "documents"
    folder.mkdir(parents=True, exist_ok=True)
    school = _school(school_a)
    made = {
        "transcript": services.transcript_issue(actor=cast.admin, student=stefan, school=school, verify_url=VERIFY),
        "certificate": services.certificate_issue(actor=cast.admin, student=stefan, purpose="alocația de stat",
                                                  school=school, verify_url=VERIFY),
        "class_catalog": services.class_catalog_issue(actor=cast.director, school_class=cast.class_5a, school=school,
                                                      verify_url=VERIFY),
        "class_situation": services.class_situation_issue(actor=cast.director, school_class=cast.class_5a,
                                                          school=school, verify_url=VERIFY),
        "statistics": services.statistics_issue(actor=cast.director, year=cast.year, school=school,
                                                verify_url=VERIFY),
    }  # fmt: skip
    for kind, issued in made.items():
        page = pypdfium2.PdfDocument(issued.pdf)[0]
        picture = page.render(scale=1.5).to_pil()
        picture.save(folder / f"{kind}.png")
        assert picture.width > 800 and (folder / f"{kind}.png").stat().st_size > 10_000


def test_the_class_situation_is_provisional_until_the_results_are_closed(cast, stefan, school_a, as_user, made):
    issued = services.class_situation_issue(actor=cast.elena, school_class=cast.class_5a, school=_school(school_a),
                                            verify_url=VERIFY)  # fmt: skip
    text = " ".join(pdf_text(issued.pdf)[0].split())  # headers wrap in their narrow columns
    assert "SITUAȚIA ȘCOLARĂ" in text and "provizorie" in text and "Țăranu Ștefan" in text
    assert "Matematic" in text and "Limba și literatura română" in text
    assert made(as_user(cast.mihai), f"/clase/{cast.class_5a.pk}/situatie/") == (Any404, None)
    _response, pdf = made(as_user(cast.elena), f"/clase/{cast.class_5a.pk}/situatie/")
    assert "provizorie" in pdf_text(pdf)[0]


def test_the_statistics_pdf_is_for_the_management_and_the_statistics_viewer(cast, stefan, as_user, made):
    _response, pdf = made(as_user(cast.stats), "/statistici/pdf/", {"an": cast.year.pk})
    text, _pages = pdf_text(pdf)
    assert "SITUAȚIA STATISTICĂ" in text and "a V-a A" in text and "Țăranu" not in text
    for who in (cast.mihai, cast.parent, cast.admin):
        assert made(as_user(who), "/statistici/pdf/") == (Any404, None)
    assert made(as_user(cast.director), "/statistici/pdf/", {"an": "999999"}) == (Any404, None)
