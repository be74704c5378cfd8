"""The rights pages: the director's queue (who asked, what, why; approve or reject one or
many), the requester's own requests, a teacher's rights; nobody else sees them."""

import pytest
from django.db import connection

from audit.models import AuditEvent
from catalog.rights.models import Delegation, RightsRequest
from catalog.structure.models import TeachingAssignment
from tests.accounts.conftest import PASSWORD, SCHOOL_A_HOST, login
from tests.catalog.rights.conftest import ask
from tests.catalog.web.conftest import SchoolClient


def test_the_queue_shows_who_asked_what_and_why_and_approves_many_at_once(cast, ion, as_user):
    first = ask(cast, ion, why="Catedră rămasă liberă")
    second = ask(cast, ion, subject=cast.romanian, why="Și limba română")
    page = as_user(cast.director)
    queue = page.get("/drepturi/").content.decode()
    for text in ("Catedră rămasă liberă", "Ion Vlad: Matematică la a V-a A", cast.admin.get_full_name(),
                 f"Cererea nr. {first.pk}", f"Cererea nr. {second.pk}"):  # fmt: skip
        assert text in queue
    response = page.post("/drepturi/decizie/", {"cerere": [first.pk, second.pk], "decizie": "aprob"}, follow=True)
    assert "2 cereri aprobate." in response.content.decode()
    assert TeachingAssignment.objects.filter(teacher=ion).count() == 2
    assert "Nicio cerere în așteptare." in page.get("/drepturi/").content.decode()
    assert AuditEvent.objects.filter(action="rights.decided", source="page").count() == 2


def test_a_rejection_without_a_reason_is_refused_on_the_page(cast, ion, as_user):
    request = ask(cast, ion)
    page = as_user(cast.director)
    text = page.post("/drepturi/decizie/", {"cerere": request.pk, "decizie": "resping"}, follow=True)
    assert "motivul respingerii" in text.content.decode()
    page.post("/drepturi/decizie/", {"cerere": request.pk, "decizie": "resping", "motiv": "Nu e cazul"})
    request.refresh_from_db()
    assert request.status == RightsRequest.Status.REJECTED
    mine = as_user(cast.admin).get("/drepturi/cererile-mele/").content.decode()
    assert f"Cererea nr. {request.pk}: respinsă" in mine and "Nu e cazul" in mine


@pytest.mark.parametrize(
    "data, message",
    [
        ({"decizie": "aprob"}, "Alegeți cel puțin o cerere."),
        ({"decizie": "poate", "cerere": "1"}, "Alegeți „Aprob” sau „Resping”."),
        ({"decizie": "aprob", "cerere": "abc"}, "Alegeți cel puțin o cerere."),
    ],
)
def test_bad_decisions_change_nothing(cast, ion, as_user, data, message):
    request = ask(cast, ion)
    response = as_user(cast.director).post("/drepturi/decizie/", data, follow=True)
    assert message in response.content.decode()
    request.refresh_from_db()
    assert request.status == RightsRequest.Status.PENDING


def test_only_approvers_see_the_queue_and_only_from_a_verified_session(cast, ion, deputy, as_user):
    request = ask(cast, ion)
    for who in (cast.admin, cast.mihai, cast.stats, cast.parent, deputy):
        page = as_user(who)
        assert page.get("/drepturi/").status_code == 404
        assert page.post("/drepturi/decizie/", {"cerere": request.pk, "decizie": "aprob"}).status_code == 404
    assert "Drepturi de aprobat" not in as_user(deputy).get("/").content.decode()
    Delegation.objects.create(deputy=deputy, granted_by=cast.director)
    assert as_user(deputy).get("/drepturi/").status_code == 200
    assert "Drepturi de aprobat" in as_user(deputy).get("/").content.decode()  # the menu, while delegated

    unverified = SchoolClient(HTTP_HOST=SCHOOL_A_HOST)  # password only: the second factor not given yet
    unverified.schema = connection.schema_name
    assert login(unverified, cast.director.username, PASSWORD).status_code == 302
    unverified.post("/drepturi/decizie/", {"cerere": request.pk, "decizie": "aprob"})
    request.refresh_from_db()
    assert request.status == RightsRequest.Status.PENDING


def test_the_director_delegates_and_ends_the_delegation_on_the_page(cast, deputy, as_user):
    page = as_user(cast.director)
    page.post("/drepturi/delegare/", {"adjunct": deputy.pk})
    delegation = Delegation.objects.get(deputy=deputy, ended_at__isnull=True)
    assert "Ana Adjunct" in page.get("/drepturi/").content.decode()
    page.post(f"/drepturi/delegare/{delegation.pk}/retragere/")
    delegation.refresh_from_db()
    assert delegation.ended_at is not None and delegation.ended_by == cast.director
    assert page.post("/drepturi/delegare/", {"adjunct": "abc"}).status_code == 404


def test_a_teacher_sees_their_rights_and_the_grants_end_dates(cast, ion, as_user):
    from django.utils import timezone

    today = timezone.localdate()
    request = ask(cast, ion, kind="grant", starts=max(cast.year.starts, today), ends=min(cast.year.ends, today))
    page = as_user(ion)
    assert "Nicio încadrare în vigoare." in page.get("/drepturi/ale-mele/").content.decode()
    from catalog.rights import services as rights

    rights.rights_decide(actor=cast.director, request=request, approve=True)
    text = page.get("/drepturi/ale-mele/").content.decode()
    assert "Matematică · a V-a A" in text and f"suplinire până la {today:%d.%m.%Y}" in text
    assert as_user(cast.parent).get("/drepturi/ale-mele/").status_code == 404


def csv_file(text: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("incadrari.csv", text.encode(), content_type="text/csv")


def test_a_csv_of_assignments_is_one_request_approved_in_one_step(cast, ion, as_user):
    from django.utils import timezone

    today = timezone.localdate()
    rows = (
        "clasa;disciplina;profesor;de_la;pana_la\n"
        "a V-a A;matematica;ion.suplinitor;;\n"
        f"V A;Limba și literatura română;ion@scoala-a.test;{today:%d.%m.%Y};{today:%d.%m.%Y}\n"
        "6B;Matematică;ION.SUPLINITOR;;\n"
    )
    page = as_user(cast.admin)
    response = page.post("/configurare/import/incadrari/", {"file": csv_file(rows), "why": "Începutul anului"})
    assert response.status_code == 302 and response["Location"] == "/drepturi/cererile-mele/"
    request = RightsRequest.objects.get()
    assert (request.origin, request.why, request.changes.count()) == ("import", "Începutul anului", 3)
    assert not TeachingAssignment.objects.filter(teacher=ion).exists()  # nothing before the approval
    as_user(cast.director).post("/drepturi/decizie/", {"cerere": request.pk, "decizie": "aprob"})
    assert TeachingAssignment.objects.filter(teacher=ion).count() == 3
    assert TeachingAssignment.objects.get(teacher=ion, subject=cast.romanian).ends == today


def test_a_csv_with_a_bad_row_asks_for_nothing_and_says_which_rows(cast, ion, as_user):
    rows = (
        "clasa,disciplina,profesor\n"
        "a V-a A,Matematică,ion.suplinitor\n"
        "a IX-a Z,Matematică,ion.suplinitor\n"
        "a V-a A,Desen,ion.suplinitor\n"
        "a V-a A,Matematică,mama.anei\n"
        "a V-a A,Matematică,ion.suplinitor\n"
        "a VI-a B,Limba și literatura română,ion.suplinitor\n"
    )
    response = as_user(cast.admin).post("/configurare/import/incadrari/", {"file": csv_file(rows)})
    text = response.content.decode()
    assert response.status_code == 400
    for problem in ("Rândul 3: clasa „a IX-a Z” nu există", "Rândul 4: disciplina „Desen” nu există",
                    "Rândul 5: „mama.anei” nu este un profesor activ", "Rândul 6: încadrarea apare de două ori",
                    "Rândul 7: Disciplina nu este în planul de învățământ"):  # fmt: skip
        assert problem in text
    assert not RightsRequest.objects.exists()
    bad_file = as_user(cast.admin).post("/configurare/import/incadrari/", {"file": csv_file("nume\nx\n")})
    assert bad_file.status_code == 400 and not RightsRequest.objects.exists()
