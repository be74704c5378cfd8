"""Identity events land in the school's (or the control plane's) audit trail with who,
from where and through which request: sign-ins, second factors, passwords, roles."""

import re

import pytest
from django_tenants.utils import schema_context

from accounts.roles import Role
from audit.actions import Action
from audit.models import AuditEvent
from tests.accounts.conftest import PASSWORD, login, make_user, sign_in_with_2fa
from tests.audit.test_services import change_roles
from tests.conftest import SCHOOL_A, host_client


def events(schema: str, *actions: str) -> list[AuditEvent]:
    with schema_context(schema):
        return list(AuditEvent.objects.filter(action__in=actions).order_by("seq"))


def test_a_sign_in_and_a_failed_one_are_recorded_with_ip_and_request_id(client_a, teacher):
    login(client_a, teacher.username, "parola-gresita")
    response = login(client_a, teacher.username)
    failed, success = events("school_a", Action.LOGIN_FAILED, Action.LOGIN)[-2:]
    assert (failed.action, failed.actor_kind, failed.person_id) == (Action.LOGIN_FAILED, "anonymous", teacher.pk)
    assert (success.action, success.actor_id, success.source) == (Action.LOGIN, teacher.pk, "page")
    assert success.ip == "127.0.0.1"
    assert success.request_id == response["X-Request-ID"]


def test_a_failed_sign_in_for_an_unknown_name_is_recorded_without_the_name(client_a):
    login(client_a, "cineva.necunoscut", PASSWORD)
    event = events("school_a", Action.LOGIN_FAILED)[-1]
    assert event.person_id is None
    assert "necunoscut" not in str(event.new_values)


def test_a_well_formed_request_id_from_the_caller_is_kept(client_a, teacher):
    client_a.post("/cont/login/", {"login": teacher.username, "password": PASSWORD}, HTTP_X_REQUEST_ID="ingress-42abc")
    assert events("school_a", Action.LOGIN)[-1].request_id == "ingress-42abc"
    host_client(f"{SCHOOL_A}.localhost").post("/cont/login/", {"login": "x", "password": "y"}, HTTP_X_REQUEST_ID="<s>")
    assert events("school_a", Action.LOGIN_FAILED)[-1].request_id not in ("", "<s>")


def test_second_factor_verification_and_failures_are_recorded(client_a, teacher):
    sign_in_with_2fa(client_a, teacher)
    client_a.post("/cont/logout/")
    login(client_a, teacher.username)
    client_a.post("/cont/2fa/verificare/", {"token": "123456"})
    verified, logout, failed = events("school_a", Action.TWO_FACTOR_VERIFIED, Action.LOGOUT, Action.TWO_FACTOR_FAILED)
    assert verified.new_values == {"method": "StaticDevice", "name": "test"}
    assert (logout.actor_id, failed.actor_id) == (teacher.pk, teacher.pk)


def test_totp_enrolment_is_recorded(teacher_client, teacher):
    from tests.accounts.test_two_factor import enrol

    enrol(teacher_client)
    enrolled = events("school_a", Action.TWO_FACTOR_ENROLLED)[-1]
    assert enrolled.new_values["method"] == "TOTPDevice"
    assert events("school_a", Action.BACKUP_CODES_ISSUED)[-1].person_id == teacher.pk


def test_a_password_change_is_recorded_without_the_password(client_a, teacher):
    sign_in_with_2fa(client_a, teacher)
    new = "Alt-Cuvant-Secret-2026"
    response = client_a.post("/cont/password/change/", {"oldpassword": PASSWORD, "password1": new, "password2": new})
    assert response.status_code == 302
    event = events("school_a", Action.PASSWORD_CHANGED)[-1]
    assert event.person_id == teacher.pk
    assert new not in str(event.new_values) + str(event.old_values)


def test_a_password_reset_by_e_mail_is_recorded_without_the_password(client_a, teacher, mailoutbox):
    assert client_a.post("/cont/password/reset/", {"email": teacher.email}).status_code == 302
    link = re.search(r"https?://[^/\s]+(/cont/password/reset/key/\S+)", mailoutbox[-1].body)
    assert link, mailoutbox[-1].body
    set_password_page = client_a.get(link[1])
    assert set_password_page.status_code == 302  # the key goes into the session, out of the address
    new = "Alta-Parola-De-Resetare-2026"
    response = client_a.post(set_password_page["Location"], {"password1": new, "password2": new})
    assert response.status_code == 302
    event = events("school_a", Action.PASSWORD_RESET)[-1]
    assert (event.person_id, event.object_id, event.source) == (teacher.pk, str(teacher.pk), "page")
    assert (event.actor_kind, event.actor_id) == ("user", teacher.pk)  # whoever held the link sent to them
    assert new not in str(event.new_values) + str(event.old_values)
    assert not events("school_a", Action.PASSWORD_CHANGED)  # a reset, not a change


def test_a_role_change_through_the_page_is_recorded_and_ends_the_persons_sessions(client_a, school_a, teacher):
    director = make_user(school_a.schema_name, "director.audit", [Role.DIRECTOR])
    sign_in_with_2fa(client_a, director)
    response = client_a.post(
        f"/administrare/conturi/{teacher.pk}/editare/",
        {"last_name": "Profesorul", "first_name": "Mihai", "roles": ["teacher", "homeroom"], "email": teacher.email},
    )
    assert response.status_code == 302
    event = events("school_a", Action.USER_CHANGED)[-1]
    assert event.old_values["roles"] == ["teacher"]
    assert event.new_values["roles"] == ["homeroom", "teacher"]
    with schema_context("school_a"):
        teacher.refresh_from_db()
        assert teacher.session_epoch == 1


def test_a_secretary_cannot_touch_the_directors_account_nor_their_own_roles(school_a):
    from accounts import services

    secretary = make_user(school_a.schema_name, "secretara.roluri", [Role.SCHOOL_ADMIN])
    director = make_user(school_a.schema_name, "directoarea", [Role.DIRECTOR], first_name="Ana", last_name="Dir")
    with schema_context("school_a"), pytest.raises(services.NotAllowed):
        change_roles(secretary, director, [Role.TEACHER])
    with schema_context("school_a"), pytest.raises(services.NotAllowed):
        services.user_create(actor=secretary, first_name="Noul", last_name="Director", roles=[Role.DIRECTOR])
    with schema_context("school_a"), pytest.raises(services.NotAllowed):
        change_roles(secretary, secretary, [Role.SCHOOL_ADMIN, Role.DIRECTOR])


def test_a_secretary_may_make_the_first_director_of_a_new_school(school_a):
    from accounts import services

    secretary = make_user(school_a.schema_name, "secretara.prima", [Role.SCHOOL_ADMIN])
    with schema_context("school_a"):
        director = services.user_create(actor=secretary, first_name="Prima", last_name="Directoare", roles=["director"])
    assert director.roles == ["director"]


def test_provider_actions_on_schools_are_recorded_in_the_control_plane(db):
    from tests.provisioning.test_console import NEW_SCHOOL, provider

    operator = provider(Role.OPERATOR)
    operator.post("/consola/scoli/noua/", NEW_SCHOOL)
    requested = events("public", Action.SCHOOL_REQUESTED)[-1]
    assert (requested.object_id, requested.actor_name) == (str(requested.object_id), "operator.test")
    assert requested.new_values["slug"] == "cn-alecsandri"
    operator.post("/consola/scoli/school-b/stare/", {"to": "suspended", "reason": "factură neplătită"})
    transition = events("public", Action.SCHOOL_TRANSITION)[-1]
    assert (transition.old_values, transition.new_values) == ({"status": "active"}, {"status": "suspended"})
    assert transition.reason == "factură neplătită"
    assert transition.actor_roles == "operator"
