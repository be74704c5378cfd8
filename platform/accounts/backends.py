from allauth.account.auth_backends import AuthenticationBackend
from django.db import connection
from django_tenants.utils import get_public_schema_name


def may_sign_in_here(user) -> bool:
    """Provider staff only on the control plane, a school's people only on their school's host."""
    if connection.schema_name == get_public_schema_name():
        return user.is_provider_staff
    return user.is_school_user


class SideAwareBackend(AuthenticationBackend):
    """Username or e-mail sign-in (allauth's backend) that also checks the host's side."""

    def user_can_authenticate(self, user):
        return super().user_can_authenticate(user) and may_sign_in_here(user)
