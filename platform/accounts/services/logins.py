"""Failed sign-ins: growing waits per account, lifted by a manager; finding an account by
username or e-mail."""

from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import User
from accounts.services.users import _require_manager
from audit.actions import Action
from audit.services import audit_record

FREE_FAILURES = 4  # mistakes allowed before any wait


FIRST_WAIT_SECONDS = 30


MAX_WAIT_SECONDS = 3600


def login_wait_until(user: User):
    """When `user` may try to sign in again, or None if now (30 s after the 5th failure in
    a row, doubling with each further failure, at most an hour)."""
    if user.login_failures <= FREE_FAILURES or user.login_failed_at is None:
        return None
    wait = min(FIRST_WAIT_SECONDS * 2 ** (user.login_failures - FREE_FAILURES - 1), MAX_WAIT_SECONDS)
    until = user.login_failed_at + timedelta(seconds=wait)
    return until if until > timezone.now() else None


def login_failed(*, user: User | None) -> None:
    """A failed sign-in, against the account it named (if any): counted and audited."""
    with transaction.atomic():
        if user is not None:
            User.objects.filter(pk=user.pk).update(
                login_failures=F("login_failures") + 1, login_failed_at=timezone.now()
            )
        audit_record(action=Action.LOGIN_FAILED, actor="", obj=user, object_type="accounts.user", person=user)


def login_succeeded(*, user: User) -> None:
    with transaction.atomic():
        if user.login_failures:
            User.objects.filter(pk=user.pk).update(login_failures=0, login_failed_at=None)
        audit_record(action=Action.LOGIN, actor=user, obj=user, person=user)


def logged_out(*, user: User) -> None:
    audit_record(action=Action.LOGOUT, actor=user, obj=user, person=user)


def lockouts_lift(*, actor: User, user: User) -> None:
    """The school's admin lets a locked-out user try again at once (password and 2FA)."""
    _require_manager(actor)
    from accounts.two_factor import otp_lockout_lift

    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(login_failures=0, login_failed_at=None)
        otp_lockout_lift(user=user)
        audit_record(action=Action.USER_UNLOCKED, actor=actor, obj=user, person=user)


def user_for_login(login: str) -> User | None:
    """The account a sign-in attempt names (username or e-mail), if any."""
    login = (login or "").strip()
    if not login or len(login) > 254:
        return None
    return User.objects.filter(Q(username=login) | Q(email__iexact=login)).first()
