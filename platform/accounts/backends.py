from allauth.account.auth_backends import AuthenticationBackend
from django.db import connection
from django_tenants.utils import get_public_schema_name

from accounts.roles import role_permissions


def may_sign_in_here(user) -> bool:
    """Provider staff only on the control plane, a school's people only on their school's host."""
    if connection.schema_name == get_public_schema_name():
        return user.is_provider_staff
    return user.is_school_user


class SideAwareBackend(AuthenticationBackend):
    """Username or e-mail sign-in (allauth's backend) that also checks the host's side."""

    def user_can_authenticate(self, user):
        return super().user_can_authenticate(user) and may_sign_in_here(user)

    def has_perm(self, user_obj, perm, obj=None):
        """The permissions a user's roles give (accounts.roles), besides Django's own."""
        if user_obj.is_active and perm in role_permissions(getattr(user_obj, "roles", ())):
            return True
        return super().has_perm(user_obj, perm, obj)
