"""Order 3896/2023 art. 15: a change of the rights to write (an assignment, a substitute's
temporary grant, a homeroom, a role that reads personal data) asked for by the secretariat
takes effect only when the director (or a deputy the director delegated) approves it; the
director's own changes are self-approved; an expired grant never writes; all of it audited."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts import services as accounts
from accounts.roles import Role
from audit.models import AuditEvent
from catalog.grades import services as grades
from catalog.rights import services as rights
from catalog.rights import tasks
from catalog.rights.models import Delegation, RightsChange, RightsRequest, StatsConsent
from catalog.structure import services as structure
from catalog.structure.models import SchoolClass, TeachingAssignment
from tests.catalog.conftest import past_day
from tests.catalog.rights.conftest import ask
from tests.catalog.web.conftest import gradebook_url

Status = RightsRequest.Status
Kind = RightsChange.Kind


def write(cast, teacher, value=8):
    return grades.grade_add(teacher=teacher, student=cast.ana, school_class=cast.class_5a, subject=cast.math,
                            on=past_day(cast.year), value=value)  # fmt: skip


def test_an_assignment_asked_for_writes_nothing_until_the_director_approves_it(cast, ion, as_user):
    request = ask(cast, ion)
    assert request.status == Status.PENDING and not TeachingAssignment.objects.filter(teacher=ion).exists()
    with pytest.raises(PermissionDenied):
        write(cast, ion)
    page = as_user(ion)
    assert page.get(gradebook_url(cast.class_5a, cast.math)).status_code == 404
    assert "Ion Vlad: Matematică la a V-a A" in page.get("/drepturi/ale-mele/").content.decode()  # waiting

    rights.rights_decide(actor=cast.director, request=request, approve=True)
    request.refresh_from_db()
    assert (request.status, request.decided_by, request.self_approved) == (Status.APPROVED, cast.director, False)
    assert write(cast, ion).value == 8
    assert page.get(gradebook_url(cast.class_5a, cast.math)).status_code == 200

    asked = AuditEvent.objects.get(action="rights.requested", object_id=str(request.pk))
    assert asked.actor_id == cast.admin.pk and asked.reason == "Colegă nouă"
    assert asked.new_values["changes"] == ["Ion Vlad: Matematică la a V-a A"]
    decided = AuditEvent.objects.get(action="rights.decided", object_id=str(request.pk))
    assert decided.actor_id == cast.director.pk and decided.new_values["status"] == "approved"
    created = AuditEvent.objects.filter(action="assignment.created", person_id=ion.pk).get()
    assert created.actor_id == cast.director.pk and created.new_values["request"] == request.pk
    assert created.new_values["requested_by"] == cast.admin.get_full_name()


def test_a_rejection_needs_a_reason_and_grants_nothing(cast, ion):
    request = ask(cast, ion)
    with pytest.raises(ValidationError, match="motivul respingerii"):
        rights.rights_decide(actor=cast.director, request=request, approve=False)
    rights.rights_decide(actor=cast.director, request=request, approve=False, reason="Nu predă la gimnaziu")
    request.refresh_from_db()
    assert (request.status, request.decision_reason) == (Status.REJECTED, "Nu predă la gimnaziu")
    with pytest.raises(PermissionDenied):
        write(cast, ion)
    with pytest.raises(ValidationError, match="deja soluționată"):
        rights.rights_decide(actor=cast.director, request=request, approve=True)
    assert AuditEvent.objects.get(action="rights.decided").reason == "Nu predă la gimnaziu"


def test_nobody_but_the_director_or_a_delegated_deputy_approves(cast, ion, deputy):
    request = ask(cast, ion)
    for who in (cast.mihai, cast.admin, cast.stats, deputy):
        with pytest.raises(PermissionDenied):
            rights.rights_decide(actor=who, request=request, approve=True)
    delegation = rights.delegation_grant(actor=cast.director, deputy=deputy)
    with pytest.raises(PermissionDenied):
        rights.delegation_grant(actor=deputy, deputy=deputy)  # only the director delegates
    rights.rights_decide(actor=deputy, request=request, approve=True)
    assert TeachingAssignment.objects.filter(teacher=ion).exists()
    rights.delegation_end(actor=cast.director, delegation=delegation)
    assert not rights.approves(deputy)
    with pytest.raises(PermissionDenied):
        rights.rights_decide(actor=deputy, request=ask(cast, ion, subject=cast.romanian), approve=True)
    assert {"rights.delegated", "rights.delegation_ended"} <= set(AuditEvent.objects.values_list("action", flat=True))
    with pytest.raises(ValidationError, match="director adjunct"):
        rights.delegation_grant(actor=cast.director, deputy=cast.mihai)


def test_no_one_approves_their_own_request_and_the_directors_own_change_is_self_approved(cast, ion, deputy):
    asked_by_deputy = ask(cast, ion, actor=deputy)  # not delegated yet: it waits
    assert asked_by_deputy.status == Status.PENDING
    Delegation.objects.create(deputy=deputy, granted_by=cast.director)
    with pytest.raises(PermissionDenied, match="propria cerere"):
        rights.rights_decide(actor=deputy, request=asked_by_deputy, approve=True)

    own = ask(cast, ion, actor=cast.director, subject=cast.romanian, why="")
    assert (own.status, own.self_approved, own.decided_by) == (Status.APPROVED, True, cast.director)
    assert TeachingAssignment.objects.filter(teacher=ion, subject=cast.romanian).exists()
    event = AuditEvent.objects.get(action="rights.decided", object_id=str(own.pk))
    assert event.new_values["self_approved"] is True


def test_the_secretary_cannot_give_rights_past_the_approval(cast, ion):
    with pytest.raises(PermissionDenied, match="aprobarea directorului"):
        structure.assignment_create(actor=cast.admin, teacher=ion, school_class=cast.class_5a, subject=cast.math)
    with pytest.raises(PermissionDenied, match="aprobarea directorului"):
        structure.homeroom_set(actor=cast.admin, school_class=cast.class_6b, homeroom=ion)
    structure.homeroom_set(actor=cast.admin, school_class=cast.class_5a, homeroom=None)  # taking away never waits


def test_a_grant_writes_only_between_its_dates_and_says_so_in_the_audit(cast, ion):
    today = timezone.localdate()
    start = max(cast.year.starts, today - timedelta(days=3))
    request = ask(cast, ion, kind=Kind.GRANT, starts=start, ends=today, why="Suplinire: concediu medical")
    rights.rights_decide(actor=cast.director, request=request, approve=True)
    grade = write(cast, ion)
    added = AuditEvent.objects.get(action="grade.added", object_id=str(grade.pk))
    assert added.new_values["grant"] == f"{start:%d.%m.%Y}–{today:%d.%m.%Y}"

    # The day after the grant ended, before the end-of-grant job ran: nothing is written.
    TeachingAssignment.objects.filter(teacher=ion).update(ends=today - timedelta(days=1))
    with pytest.raises(PermissionDenied):
        write(cast, ion, 9)
    assert structure.grants_expire(today=today) == 1
    assert not TeachingAssignment.objects.filter(teacher=ion).exists()
    expired = AuditEvent.objects.get(action="assignment.grant_expired")
    assert expired.person_id == ion.pk and expired.reason == "dreptul temporar a expirat"
    assert structure.grants_expire(today=today) == 0


def test_a_grant_not_begun_gives_nothing_and_bad_dates_are_refused(cast, ion, as_user):
    today = timezone.localdate()
    if today + timedelta(days=2) > cast.year.ends:
        pytest.skip("the test year ends within two days")
    request = ask(cast, ion, kind=Kind.GRANT, starts=today + timedelta(days=1), ends=today + timedelta(days=2))
    rights.rights_decide(actor=cast.director, request=request, approve=True)
    with pytest.raises(PermissionDenied):
        write(cast, ion)
    assert "Supliniri care urmează" in as_user(ion).get("/drepturi/ale-mele/").content.decode()
    for starts, ends in [
        (today, None),
        (today, today - timedelta(days=1)),
        (cast.year.starts - timedelta(days=1), today),
    ]:
        with pytest.raises(ValidationError):
            ask(cast, ion, kind=Kind.GRANT, starts=starts, ends=ends)
    with pytest.raises(ValidationError, match="s-a încheiat"):
        ask(cast, ion, kind=Kind.GRANT, starts=cast.year.starts, ends=max(cast.year.starts, today - timedelta(days=1)))


def test_a_homeroom_waits_and_an_approval_rechecks_what_was_asked(cast, ion):
    request = ask(cast, ion, kind=Kind.HOMEROOM, subject=None, school_class=cast.class_6b)
    cast.class_6b.refresh_from_db()
    assert cast.class_6b.homeroom is None
    rights.rights_decide(actor=cast.director, request=request, approve=True)
    cast.class_6b.refresh_from_db()
    assert cast.class_6b.homeroom == ion

    stale = ask(cast, ion, subject=cast.romanian, school_class=cast.class_5a)
    cast.class_5a.curriculum.filter(subject=cast.romanian).delete()  # the plan changed since
    with pytest.raises(ValidationError, match="planul de învățământ"):
        rights.rights_decide(actor=cast.director, request=stale, approve=True)
    stale.refresh_from_db()
    assert stale.status == Status.PENDING


def test_a_role_that_reads_personal_data_waits_and_taking_one_away_does_not(cast, as_user):
    updated = accounts.user_update(actor=cast.admin, user=cast.mihai, first_name="Mihai", last_name="Popescu",
                                   roles=[Role.TEACHER, Role.SCHOOL_ADMIN])  # fmt: skip
    assert updated.roles_waiting == {Role.SCHOOL_ADMIN}
    cast.mihai.refresh_from_db()
    assert cast.mihai.roles == [Role.TEACHER]
    request = RightsRequest.objects.get(origin=RightsRequest.Origin.ACCOUNTS)
    assert [c.summary for c in request.changes.all()] == ["Mihai Popescu: rolul Secretar (administrator)"]
    rights.rights_decide(actor=cast.director, request=request, approve=True)
    cast.mihai.refresh_from_db()
    assert set(cast.mihai.roles) == {Role.TEACHER, Role.SCHOOL_ADMIN}
    accounts.user_update(actor=cast.admin, user=cast.mihai, first_name="Mihai", last_name="Popescu",
                         roles=[Role.TEACHER])  # fmt: skip
    cast.mihai.refresh_from_db()
    assert cast.mihai.roles == [Role.TEACHER]  # at once


def test_a_statistics_viewer_needs_the_managements_consent_which_can_be_withdrawn(cast, as_user):
    viewer = accounts.user_create(actor=cast.admin, first_name="Sorin", last_name="Date",
                                  roles=[Role.STATS_VIEWER], email="sorin@scoala-a.test")  # fmt: skip
    assert viewer.roles == [] and viewer.roles_waiting == {Role.STATS_VIEWER}
    request = RightsRequest.objects.get()
    rights.rights_decide(actor=cast.director, request=request, approve=True)
    viewer.refresh_from_db()
    consent = StatsConsent.objects.get(user=viewer)
    assert viewer.roles == [Role.STATS_VIEWER] and consent.granted_by == cast.director and consent.request == request
    page = as_user(viewer)
    assert page.get("/statistici/").status_code == 200

    with pytest.raises(PermissionDenied):
        rights.consent_withdraw(actor=cast.admin, user=viewer, reason="x")
    rights.consent_withdraw(actor=cast.director, user=viewer, reason="Proiectul s-a încheiat")
    for path in ("/", "/statistici/", "/documente/", "/cont/securitate/"):
        assert page.get(path).status_code == 403, path  # the session opened before: shut at once
    assert "și-a retras acordul" in page.get("/statistici/").content.decode()
    withdrawn = AuditEvent.objects.get(action="rights.consent_withdrawn")
    assert withdrawn.person_id == viewer.pk and withdrawn.reason == "Proiectul s-a încheiat"
    with pytest.raises(ValidationError, match="acord activ"):
        rights.consent_withdraw(actor=cast.director, user=viewer, reason="din nou")


def test_the_approvers_and_the_requester_are_told_by_email(cast, ion, deputy, mailoutbox):
    cast.director.email = "director@scoala-a.test"
    cast.director.save(update_fields=["email"])
    cast.admin.email, cast.admin.first_name, cast.admin.last_name = "secretariat@scoala-a.test", "Maria", "Ionescu"
    cast.admin.save(update_fields=["email", "first_name", "last_name"])
    deputy.email = "adjunct@scoala-a.test"
    deputy.save(update_fields=["email"])
    Delegation.objects.create(deputy=deputy, granted_by=cast.director)
    request = ask(cast, ion)
    assert tasks.rights_mail_job(request.pk, "asked") == 2
    [mail] = mailoutbox
    assert set(mail.to) == {"director@scoala-a.test", "adjunct@scoala-a.test"}
    assert mail.body.startswith("Maria Ionescu cere 1 modificări de drepturi")
    assert "/drepturi/" in mail.body and "cererea nr." in mail.body
    rights.rights_decide(actor=cast.director, request=request, approve=False, reason="Încă nu")
    assert tasks.rights_mail_job(request.pk, "decided") == 1
    assert mailoutbox[1].to == ["secretariat@scoala-a.test"] and "respinsă" in mailoutbox[1].subject
    assert "Încă nu" in mailoutbox[1].body and "/drepturi/cererile-mele/" in mailoutbox[1].body


def test_the_mail_goes_only_after_the_request_commits(cast, ion, monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr(tasks.rights_mail_job, "delay", lambda *args: sent.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        request = ask(cast, ion)
    assert sent == [(request.pk, "asked")]
    with django_capture_on_commit_callbacks(execute=True):
        rights.rights_decide(actor=cast.director, request=request, approve=True)
    assert sent[-1] == (request.pk, "decided")


def test_the_end_of_grant_job_runs_in_every_school(settings):
    from catedra.celery_app import app

    entry = settings.CELERY_BEAT_SCHEDULE["grants-expire"]
    assert entry["task"] == "ops.tasks.schools_dispatch" and entry["args"][0] in app.tasks


# -- the statistics viewer on every door of the school (the URL map, not a list) -----------

PERSONAL = ("clase/", "elevi/", "note/", "absente/", "audit/", "raportare/", "configurare/", "administrare/",
            "cereri-motivare/", "drepturi/", "sfarsit-de-an/", "arhive/", "documente/adeverinte/",
            "instiintari-netrimise/", "ani/", "cont/copii/")  # fmt: skip
NOT_SESSION_DOORS = ("api/", "ims/", "static/")  # token doors and files: no session there


def school_routes() -> list[str]:
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns, prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and "^" not in route and "(?" not in route:
                yield route

    return sorted(set(walk(get_resolver("catedra.urls_school").url_patterns)))


def filled(route: str, ids: dict[str, int]) -> str:
    import re

    path = re.sub(r"<int:(\w+)>", lambda m: str(ids.get(m.group(1), 1)), route)
    return "/" + re.sub(r"<(?:str|slug|path):\w+>", "x", path)


@pytest.fixture
def ids(cast):
    from catalog.attendance import services as attendance

    grade = write(cast, cast.mihai)
    absence = attendance.absence_record(teacher=cast.mihai, student=cast.ana, school_class=cast.class_5a,
                                        subject=cast.math, on=past_day(cast.year), hour=2)  # fmt: skip
    return {"class_id": cast.class_5a.pk, "student_id": cast.ana.pk, "subject_id": cast.math.pk,
            "grade_id": grade.pk, "absence_id": absence.pk, "year_id": cast.year.pk, "user_id": cast.ana.user_id,
            "child_id": cast.ana.user_id}  # fmt: skip


def test_a_statistics_viewer_gets_404_on_every_page_with_personal_data(cast, ids, as_user):
    page = as_user(cast.stats)
    routes = [r for r in school_routes() if r.startswith(PERSONAL)]
    assert len(routes) > 60  # the whole map, not a few pages
    answered = {}
    for route in routes:
        status = page.get(filled(route, ids)).status_code
        if status == 405:  # a door for forms only: what a POST gets
            status = page.post(filled(route, ids)).status_code
        answered[route] = status
    assert {route: s for route, s in answered.items() if s != 404} == {}
    assert page.get("/statistici/").status_code == 200


def test_once_consent_is_withdrawn_every_door_refuses_with_403(cast, ids, as_user):
    StatsConsent.objects.create(user=cast.stats, granted_by=cast.director)
    page = as_user(cast.stats)
    rights.consent_withdraw(actor=cast.director, user=cast.stats, reason="Retras")
    routes = [r for r in school_routes() if not r.startswith(NOT_SESSION_DOORS)]
    answered = {route: page.get(filled(route, ids)).status_code for route in routes}
    open_doors = {"cont/logout/", "cont/logout/peste-tot/"}
    assert {route: s for route, s in answered.items() if s != 403 and route not in open_doors} == {}
    assert page.post("/cont/logout/").status_code == 302  # signing out stays open


def test_the_year_copy_asks_for_its_homerooms_and_assignments_in_one_request(cast, next_year):
    plan, request = rights.year_copy_ask(actor=cast.admin, source=cast.year, target=next_year)
    copied = {copy.written.pk for copy in plan.classes}
    assert copied and not TeachingAssignment.objects.filter(school_class__in=copied).exists()
    assert not any(copy.written.homeroom_id for copy in plan.classes)  # nothing writes before the approval
    assert request.origin == RightsRequest.Origin.YEAR_COPY and request.status == Status.PENDING
    kinds = list(request.changes.values_list("kind", flat=True))
    assert kinds.count(Kind.HOMEROOM) == sum(1 for copy in plan.classes if copy.homeroom)
    assert kinds.count(Kind.ASSIGNMENT) == plan.assignments > 0
    rights.rights_decide(actor=cast.director, request=request, approve=True)  # one step
    assert TeachingAssignment.objects.filter(school_class__in=copied).count() == plan.assignments
    copied_homerooms = {copy.homeroom.pk for copy in plan.classes if copy.homeroom}
    assert set(
        SchoolClass.objects.filter(pk__in=copied, homeroom__isnull=False).values_list("homeroom", flat=True)
    ) == (copied_homerooms)


def test_the_year_copy_by_the_director_is_in_force_at_once(cast, next_year):
    plan, request = rights.year_copy_ask(actor=cast.director, source=cast.year, target=next_year)
    assert request.self_approved and request.status == Status.APPROVED
    assert TeachingAssignment.objects.filter(school_class__year=next_year).count() == plan.assignments
