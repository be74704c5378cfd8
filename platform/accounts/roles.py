"""Who a user is in a school or at the provider, and the doors that ask for a role."""

from collections.abc import Callable, Iterable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    # A school's people (in its schema)
    DIRECTOR = "director", _("Director")
    DEPUTY = "deputy", _("Director adjunct")
    SCHOOL_ADMIN = "school_admin", _("Secretar (administrator)")
    TEACHER = "teacher", _("Profesor")
    HOMEROOM = "homeroom", _("Diriginte / învățător")
    PARENT = "parent", _("Părinte")
    STUDENT = "student", _("Elev")
    STATS_VIEWER = "stats_viewer", _("Vizualizare statistici")
    # The provider's staff (in public)
    OPERATOR = "operator", _("Operator")
    BILLING = "billing", _("Facturare")
    SUPERUSER = "superuser", _("Administrator platformă")


SCHOOL_ROLES = frozenset({Role.DIRECTOR, Role.DEPUTY, Role.SCHOOL_ADMIN, Role.TEACHER, Role.HOMEROOM, Role.PARENT,
                          Role.STUDENT, Role.STATS_VIEWER})  # fmt: skip
PROVIDER_ROLES = frozenset({Role.OPERATOR, Role.BILLING, Role.SUPERUSER})
# Order 3896/2023 art. 6(3): whoever sees personal data, writes grades or makes reports.
REQUIRE_TWO_FACTOR = frozenset({Role.DIRECTOR, Role.DEPUTY, Role.SCHOOL_ADMIN, Role.TEACHER, Role.HOMEROOM,
                                Role.STATS_VIEWER}) | PROVIDER_ROLES  # fmt: skip
# Django permissions that come with a role (accounts.backends grants them), so that a lower
# app (audit) can guard its pages without knowing the roles.
ROLE_PERMISSIONS = {
    Role.DIRECTOR: frozenset({"audit.view_auditevent"}),
    Role.DEPUTY: frozenset({"audit.view_auditevent"}),
    Role.SUPERUSER: frozenset({"audit.view_auditevent"}),
}


def role_permissions(roles: Iterable[str]) -> frozenset[str]:
    return frozenset().union(*(ROLE_PERMISSIONS.get(role, frozenset()) for role in roles))


# The provider's staff who may change schools (POST); billing staff only read.
PROVIDER_ACTORS = frozenset({Role.OPERATOR, Role.SUPERUSER})


def role_required(*, read: Iterable[str], write: Iterable[str] | None = None) -> Callable:
    """A view for signed-in users with one of the `read` roles (403 for others); a POST
    needs one of the `write` roles (the `read` ones when not given)."""
    readers, writers = frozenset(read), frozenset(read if write is None else write)

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            roles = set(request.user.roles)
            if not roles & readers or (request.method == "POST" and not roles & writers):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


# The provider's console: every staff role reads it, operators and superusers change it.
provider_required = role_required(read=PROVIDER_ROLES, write=PROVIDER_ACTORS)
