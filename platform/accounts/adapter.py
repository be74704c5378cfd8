from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils.formats import time_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from accounts import services
from accounts.backends import may_sign_in_here
from audit.services import client_ip


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are made by a school's admin or the provider, never by signing up, and
    are used only on their own side (allauth would otherwise let a user whom the backend
    refused through as if merely inactive). Failed sign-ins make the account wait longer
    and longer (services.login_wait_until) until an admin lifts it or the wait passes."""

    def is_open_for_signup(self, request):
        return False

    def pre_authenticate(self, request, **credentials):
        super().pre_authenticate(request, **credentials)
        user = services.user_for_login(_login_of(credentials))
        if user is not None and (until := services.login_wait_until(user)):
            raise forms.ValidationError(
                _("Prea multe încercări greșite. Puteți încerca din nou după ora %(time)s.")
                % {"time": time_format(localtime(until), "H:i:s")}
            )

    def authenticate(self, request, **credentials):
        user = super().authenticate(request, **credentials)
        if user is not None and not may_sign_in_here(user):
            user = None
        if user is None:
            services.login_failed(user=services.user_for_login(_login_of(credentials)))
        else:
            services.login_succeeded(user=user)
        return user

    def is_safe_url(self, url):
        """Only this host: allauth's accepts every host of ALLOWED_HOSTS, so `next=` would
        send someone signing in at one school to another school or anywhere under the base domain."""
        request = context.request
        return url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )

    def get_client_ip(self, request):
        """The client's address, as the audit trail records it: behind the TLS proxy the hop
        it added to X-Forwarded-For, else the connecting address. allauth keys its per-IP
        sign-in limits on it; behind the ingress the connecting address is the proxy's, the
        same for everyone, and one client's mistakes would lock the whole school out."""
        ip = client_ip(request, behind_proxy=bool(getattr(settings, "SECURE_PROXY_SSL_HEADER", None)))
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip

    def logout(self, request):
        if request.user.is_authenticated:
            services.logged_out(user=request.user)
        super().logout(request)


def _login_of(credentials: dict) -> str:
    return credentials.get("username") or credentials.get("email") or ""
