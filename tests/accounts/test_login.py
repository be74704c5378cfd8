"""Signing in: by username or e-mail, only on one's own host, with failures rate-limited."""

from django_tenants.utils import schema_context

from accounts.models import User
from accounts.roles import Role
from tests.accounts.conftest import PASSWORD, login, make_user
from tests.conftest import SCHOOL_A, SCHOOL_B, host_client


def signed_in(client) -> bool:
    """Whether the client's session holds a user on its host (2FA pending or not)."""
    response = client.get("/cont/2fa/inrolare/")
    return not (response.status_code == 302 and response["Location"].startswith("/cont/login/"))


def test_a_teacher_signs_in_with_username_or_email(client_a, teacher):
    assert login(client_a, teacher.username).status_code == 302
    other = host_client(f"{SCHOOL_A}.localhost")
    assert login(other, "MIHAI@scoala-a.test").status_code == 302
    assert signed_in(other)


def test_a_wrong_password_signs_nobody_in(client_a, teacher):
    response = login(client_a, teacher.username, "not-the-password")
    assert response.status_code == 200
    assert not signed_in(client_a)


def test_a_session_cookie_from_school_a_is_anonymous_on_school_b(client_a, teacher):
    login(client_a, teacher.username)
    assert signed_in(client_a)
    intruder = host_client(f"{SCHOOL_B}.localhost")
    intruder.cookies["sessionid"] = client_a.cookies["sessionid"].value
    assert not signed_in(intruder)


def test_school_as_credentials_mean_nothing_on_school_b(teacher):
    client_b = host_client(f"{SCHOOL_B}.localhost")
    assert login(client_b, teacher.username).status_code == 200
    assert not signed_in(client_b)


def test_provider_staff_sign_in_only_on_the_control_plane(db):
    make_user("public", "ioana.operator", [Role.OPERATOR])
    assert login(host_client(f"{SCHOOL_A}.localhost"), "ioana.operator").status_code == 200
    control_plane = host_client("localhost")
    assert login(control_plane, "ioana.operator").status_code == 302
    assert signed_in(control_plane)


def test_school_roles_cannot_sign_in_on_the_control_plane_nor_provider_roles_on_a_school(school_a):
    make_user("public", "rol.gresit", [Role.TEACHER])
    assert login(host_client("localhost"), "rol.gresit").status_code == 200
    make_user(school_a.schema_name, "operator.in.scoala", [Role.OPERATOR])
    assert login(host_client(f"{SCHOOL_A}.localhost"), "operator.in.scoala").status_code == 200


def test_nobody_can_sign_up(client_a):
    client_a.post("/cont/signup/", {"username": "intrus", "password1": PASSWORD, "email": "x@y.ro"})
    with schema_context("school_a"):
        assert not User.objects.filter(username="intrus").exists()


def test_repeated_failures_block_even_the_right_password_for_a_while(school_a):
    username = "tinta.atacului"
    make_user(school_a.schema_name, username, [Role.STUDENT])
    client = host_client(f"{SCHOOL_A}.localhost")
    for _attempt in range(5):
        login(client, username, "gresit")
    blocked = login(client, username)
    assert blocked.status_code in (200, 429)
    assert not signed_in(client)


def test_signing_out_everywhere_ends_every_session_of_the_user(teacher):
    phone, laptop = host_client(f"{SCHOOL_A}.localhost"), host_client(f"{SCHOOL_A}.localhost")
    login(phone, teacher.username)
    login(laptop, teacher.username)
    assert signed_in(phone) and signed_in(laptop)
    response = laptop.post("/cont/logout/peste-tot/")
    assert response.status_code == 302
    assert not signed_in(laptop)
    assert not signed_in(phone)
    login(phone, teacher.username)  # signing in again works
    assert signed_in(phone)


def test_failed_sign_ins_make_the_account_wait_longer_until_an_admin_lifts_it(school_a, settings):
    from datetime import timedelta

    from django.utils import timezone

    from accounts import services

    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "100/m/ip,100/m/key"}  # see our own waits, not allauth's
    secretary = make_user(school_a.schema_name, "secretara.deblocare", [Role.SCHOOL_ADMIN])
    victim = make_user(school_a.schema_name, "tinta.intarzieri", [Role.STUDENT])
    client = host_client(f"{SCHOOL_A}.localhost")
    for _attempt in range(services.FREE_FAILURES + 1):
        login(client, victim.username, "gresit")
    blocked = login(client, victim.username)
    assert "Prea multe încercări greșite" in blocked.content.decode()
    assert not signed_in(client)
    with schema_context("school_a"):
        victim.refresh_from_db()
        first_wait = services.login_wait_until(victim) - victim.login_failed_at
        victim.login_failures += 1
        assert services.login_wait_until(victim) - victim.login_failed_at == 2 * first_wait  # doubling
        assert first_wait == timedelta(seconds=services.FIRST_WAIT_SECONDS)
        victim.login_failures, victim.login_failed_at = 40, timezone.now()
        assert services.login_wait_until(victim) - victim.login_failed_at == timedelta(hours=1)  # at most
        services.lockouts_lift(actor=secretary, user=victim)
    assert login(client, victim.username).status_code == 302


def test_a_good_sign_in_clears_earlier_mistakes(client_a, teacher):
    login(client_a, teacher.username, "gresit")
    login(client_a, teacher.username)
    with schema_context("school_a"):
        teacher.refresh_from_db()
        assert teacher.login_failures == 0
