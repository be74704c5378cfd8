from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.utils.translation import gettext as _

from accounts.models import ParentLink, User
from accounts.roles import Role


def sessions_end_all(*, user: User) -> None:
    """Sign the user out on every device and browser at once."""
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])


class NotAllowed(PermissionDenied):
    pass


def children_of(*, parent: User) -> list[User]:
    return [link.student for link in ParentLink.objects.filter(parent=parent).select_related("student")]


def child_password_set(*, parent: User, child: User, password: str) -> None:
    """A parent sets the password of their own minor child (Order 3896/2023 art. 18(2)).

    Raises NotAllowed for anyone else's child or an adult student, ValidationError for a
    weak password; the child's other sessions end.
    """
    if not parent.has_role(Role.PARENT) or not ParentLink.objects.filter(parent=parent, student=child).exists():
        raise NotAllowed(_("Puteți schimba doar parola propriului copil."))
    if not child.has_role(Role.STUDENT) or not child.is_minor():
        raise NotAllowed(_("Un elev major își schimbă singur parola."))
    validate_password(password, user=child)
    child.set_password(password)
    child.save(update_fields=["password"])
    sessions_end_all(user=child)
