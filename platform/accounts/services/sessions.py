"""Signing out everywhere, and what a password change or a password set from a link ends."""

from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.db.models import F

from accounts.models import User
from audit.actions import Action
from audit.services import audit_record


def sessions_end_all(*, user: User) -> None:
    """Sign the user out on every device and browser at once."""
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])


@transaction.atomic
def sign_out_everywhere(*, user: User) -> None:
    """The user ends all their own sessions (lost phone, shared computer)."""
    sessions_end_all(user=user)
    audit_record(action=Action.SESSIONS_ENDED, actor=user, obj=user, person=user)


@transaction.atomic
def password_set_from_link(*, user: User, password: str) -> None:
    """A password chosen through a one-time link (invitation, or a reset by the admin):
    the link dies with the old password hash."""
    validate_password(password, user=user)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(action=Action.PASSWORD_SET, actor=user, obj=user, person=user)


def password_changed(*, user: User, reset: bool) -> None:
    """Record a password change or e-mail reset (allauth changes the password itself). The
    account's owner acted: signed in, or holding the link sent to their address."""
    action = Action.PASSWORD_RESET if reset else Action.PASSWORD_CHANGED
    audit_record(action=action, actor=user, obj=user, person=user)
