"""One-time links to set a password, handed out by the school's management: a staff
member's (anyone who writes grades or reads personal data) goes only to their own e-mail,
never onto the page of whoever asked for it; a link is shown only for a parent or a student
without e-mail. A password that may have been set through a shown link never carries into
a staff account."""

import re

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from accounts import services
from accounts.models import User
from accounts.roles import Role
from audit.actions import Action
from audit.models import AuditEvent
from tests.accounts.conftest import login, make_user, sign_in_with_2fa
from tests.conftest import SCHOOL_A, host_client

NEW = "Penar-Rosu-2026!"
STAFF_ROLES = [Role.DIRECTOR, Role.DEPUTY, Role.SCHOOL_ADMIN, Role.TEACHER, Role.HOMEROOM, Role.STATS_VIEWER]
LINK = re.compile(r"https?://[^/\s]+(/invitatie/[^\s<\"]+)")


@pytest.fixture
def secretary(school_a):
    return make_user(school_a.schema_name, "secretara.linkuri", [Role.SCHOOL_ADMIN])


@pytest.fixture
def director(school_a):
    return make_user(school_a.schema_name, "directoarea.linkuri", [Role.DIRECTOR])


@pytest.fixture
def ask_for_link(django_capture_on_commit_callbacks):
    """Press „link for a new password” for `person`; the page the manager then sees (any
    e-mail leaves after the commit, as in production)."""

    def ask(client, person):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(f"/administrare/conturi/{person.pk}/link-parola/", follow=True)

    return ask


def link_events(person) -> list[AuditEvent]:
    with schema_context("school_a"):
        return list(AuditEvent.objects.filter(action=Action.PASSWORD_LINK_ISSUED, person_id=person.pk))


def set_password_through(path: str):
    return host_client(f"{SCHOOL_A}.localhost").post(path, {"new_password1": NEW, "new_password2": NEW})


def test_the_secretary_cannot_get_a_teachers_password_into_her_hands(client_a, secretary, mailoutbox, ask_for_link):
    """The attack of issue 22: create a teacher account, set its password through the link
    shown, sign in as the teacher. The link now goes to the teacher's mailbox only."""
    sign_in_with_2fa(client_a, secretary)
    form = {"last_name": "Fals", "first_name": "Profesor", "roles": ["teacher"], "email": "profesor@scoala-a.test"}
    assert client_a.post("/administrare/conturi/nou/", form).status_code == 302
    with schema_context("school_a"):
        teacher = User.objects.get(email="profesor@scoala-a.test")
    page = ask_for_link(client_a, teacher).content.decode()
    assert "/invitatie/" not in page
    assert "e-mail" in page
    assert [message.to for message in mailoutbox] == [["profesor@scoala-a.test"]]
    path = LINK.search(mailoutbox[0].body)[1]
    assert path not in page
    assert set_password_through(path).status_code == 200  # the teacher, from their mailbox
    with schema_context("school_a"):
        assert User.objects.get(pk=teacher.pk).check_password(NEW)
    assert [event.new_values for event in link_events(teacher)] == [{"delivery": "email"}]


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_a_staff_account_without_email_gets_no_link_at_all(
    client_a, school_a, director, role, mailoutbox, ask_for_link
):
    sign_in_with_2fa(client_a, director)
    person = make_user("school_a", f"fara.email.{role}", [role])
    page = ask_for_link(client_a, person).content.decode()
    assert "/invitatie/" not in page
    assert "adresa de e-mail" in page  # the Romanian explanation
    assert not mailoutbox and not link_events(person)
    with schema_context("school_a"), pytest.raises(ValidationError) as refused:
        services.password_link_give(school=school_a, actor=director, user=person)
    assert refused.value.messages == [str(services.STAFF_LINK_NEEDS_EMAIL)]


def test_a_student_or_parent_without_email_still_gets_a_shown_link(client_a, secretary, mailoutbox, ask_for_link):
    parent = make_user("school_a", "tata.fara.email", [Role.PARENT])
    sign_in_with_2fa(client_a, secretary)
    page = ask_for_link(client_a, parent).content.decode()
    path = LINK.search(page)[1]
    assert not mailoutbox
    assert set_password_through(path).status_code == 200
    assert [event.new_values for event in link_events(parent)] == [{"delivery": "shown"}]


def test_a_parent_with_email_gets_the_link_by_email_not_shown(client_a, secretary, mailoutbox, ask_for_link):
    parent = make_user("school_a", "mama.cu.email", [Role.PARENT], email="mama@example.ro")
    sign_in_with_2fa(client_a, secretary)
    page = ask_for_link(client_a, parent).content.decode()
    assert "/invitatie/" not in page
    assert mailoutbox[-1].to == ["mama@example.ro"] and LINK.search(mailoutbox[-1].body)


def test_a_shown_link_or_its_password_does_not_carry_into_a_staff_role(client_a, secretary, mailoutbox, ask_for_link):
    """Made a parent without e-mail (a link shown), then made a teacher: the password chosen
    through the shown link, and any link still unused, stop working."""
    sign_in_with_2fa(client_a, secretary)
    form = {"last_name": "Ocolit", "first_name": "Cont", "roles": ["parent"], "email": ""}
    client_a.post("/administrare/conturi/nou/", form)
    with schema_context("school_a"):
        person = User.objects.get(last_name="Ocolit")
    used = LINK.search(ask_for_link(client_a, person).content.decode())[1]
    unused = LINK.search(ask_for_link(client_a, person).content.decode())[1]
    assert set_password_through(used).status_code == 200
    promoted = {**form, "roles": ["parent", "teacher"], "email": "ocolit@scoala-a.test"}
    assert client_a.post(f"/administrare/conturi/{person.pk}/editare/", promoted).status_code == 302
    with schema_context("school_a"):
        person.refresh_from_db()
        assert not person.has_usable_password()
        changed = AuditEvent.objects.filter(action=Action.USER_CHANGED, person_id=person.pk).latest("seq")
    assert changed.new_values["password_reset_required"] is True
    assert login(host_client(f"{SCHOOL_A}.localhost"), person.username, NEW).status_code == 200  # refused
    assert set_password_through(unused).status_code == 400
    assert "/invitatie/" not in ask_for_link(client_a, person).content.decode()
    assert mailoutbox[-1].to == ["ocolit@scoala-a.test"]


def test_a_role_change_within_the_staff_keeps_the_password(secretary, teacher):
    with schema_context("school_a"):
        services.user_update(
            actor=secretary, user=teacher, first_name="Mihai", last_name="Profesor",
            roles=[Role.TEACHER, Role.HOMEROOM], email=teacher.email,
        )  # fmt: skip
        assert User.objects.get(pk=teacher.pk).has_usable_password()
