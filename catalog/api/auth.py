"""Knowing the caller of the school's APIs (v1 and OneRoster): its key, its network, its rate."""

from django.conf import settings
from ninja.security import HttpBearer

from audit.models import ActorKind
from audit.services import client_ip, context_update
from catalog.api import limits
from catalog.api.clients import client_for_key
from catalog.api.errors import refusal


class SchoolKey(HttpBearer):
    """The caller's client, from its key, in this school's schema; its network and rate checked."""

    def authenticate(self, request, token):
        client = client_for_key(token)
        if client is None:
            return None
        context_update(actor_kind=ActorKind.API, actor_label=f"api:{client.name}")
        if not client.allows(client_ip(request, behind_proxy=bool(getattr(settings, "SECURE_PROXY_SSL_HEADER", None)))):
            raise refusal(403, "network_refused")
        if wait := limits.seconds_over(client.pk, client.rate_per_minute):
            refused = refusal(429, "rate_limited", seconds=wait)
            refused.headers["Retry-After"] = str(wait)
            raise refused
        return client
