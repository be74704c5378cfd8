"""Managing the school's API clients and keys (school admin or director), and knowing a
caller by its key. Every change is audited; a key is shown once and stored as its SHA-256."""

import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Role
from accounts.services import NotAllowed
from audit.actions import Action
from audit.services import audit_record
from catalog.api.models import ApiClient, ApiKey, Scope

MANAGERS = (Role.SCHOOL_ADMIN, Role.DIRECTOR)
MAX_NETWORKS = 20
MAX_GRACE_HOURS = 168
# A key's use is noted at most this often (a busy client would otherwise write on every call).
LAST_USED_EVERY = timedelta(minutes=1)

NOT_MANAGER = _("Doar secretariatul și directorul școlii administrează accesul prin API.")
NAME_TAKEN = _("Există deja un client API cu numele „{name}”.")
NAME_MISSING = _("Dați un nume clientului (de exemplu „ISJ Iași”).")
NO_SCOPES = _("Alegeți cel puțin un drept de citire.")
UNKNOWN_SCOPE = _("Dreptul „{scope}” nu există; drepturile sunt: {scopes}.")
PERSONAL_ALONE = _("Datele personale se citesc doar împreună cu elevii (read:students).")
BAD_NETWORK = _("„{network}” nu este o adresă IP sau o rețea (de exemplu 10.0.0.0/24).")
TOO_MANY_NETWORKS = _("Cel mult {count} rețele pe client.")
PAST_EXPIRY = _("Data de expirare trebuie să fie în viitor.")
BAD_RATE = _("Numărul de cereri pe minut trebuie să fie între 1 și 100000.")
BAD_GRACE = _("Cheia veche poate rămâne valabilă cel mult {hours} de ore.")
REVOKED = _("Clientul „{name}” a fost revocat; creați unul nou.")


@dataclass(frozen=True)
class IssuedKey:
    client: ApiClient
    key: str  # shown once


def _require_manager(actor: User) -> None:
    if not (actor.is_active and actor.has_role(*MANAGERS)):
        raise NotAllowed(NOT_MANAGER)


def scopes_clean(scopes) -> list[str]:
    chosen = sorted({str(scope).strip() for scope in scopes if str(scope).strip()})
    if not chosen:
        raise ValidationError(NO_SCOPES, code="scopes")
    for scope in chosen:
        if scope not in Scope.values:
            raise ValidationError(UNKNOWN_SCOPE.format(scope=scope[:40], scopes=", ".join(Scope.values)), code="scopes")
    if Scope.PERSONAL in chosen and Scope.STUDENTS not in chosen:
        raise ValidationError(PERSONAL_ALONE, code="scopes")
    return chosen


def networks_clean(networks) -> list[str]:
    cleaned = []
    for network in networks:
        text = str(network).strip()
        if not text:
            continue
        try:
            cleaned.append(str(ipaddress.ip_network(text[:43], strict=False)))
        except ValueError:
            raise ValidationError(BAD_NETWORK.format(network=text[:43]), code="networks") from None
    if len(cleaned) > MAX_NETWORKS:
        raise ValidationError(TOO_MANY_NETWORKS.format(count=MAX_NETWORKS), code="networks")
    return sorted(set(cleaned))


def _checked(*, name: str, scopes, networks, expires_on: date | None, rate_per_minute: int) -> dict:
    name = (name or "").strip()
    if not name:
        raise ValidationError(NAME_MISSING, code="name")
    if expires_on is not None and expires_on <= timezone.localdate():
        raise ValidationError(PAST_EXPIRY, code="expires_on")
    if not 1 <= rate_per_minute <= 100000:
        raise ValidationError(BAD_RATE, code="rate_per_minute")
    return {
        "name": name[:80], "scopes": scopes_clean(scopes), "networks": networks_clean(networks),
        "expires_on": expires_on, "rate_per_minute": rate_per_minute,
    }  # fmt: skip


def _audited(client: ApiClient) -> dict:
    return {
        "name": client.name, "scopes": client.scopes, "networks": client.networks,
        "expires_on": client.expires_on, "rate_per_minute": client.rate_per_minute,
    }  # fmt: skip


def _key_issue(client: ApiClient, actor: User) -> str:
    key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    key = f"{ApiKey.PREFIX}_{key_id}_{secret}"
    ApiKey.objects.create(client=client, key_id=key_id, digest=_digest(key), created_by=actor)
    return key


def client_create(
    *, actor: User, name: str, scopes, networks=(), expires_on: date | None = None, rate_per_minute: int = 600
) -> IssuedKey:
    """A new client with its first key (the key is returned once and never stored)."""
    _require_manager(actor)
    fields = _checked(name=name, scopes=scopes, networks=networks, expires_on=expires_on,
                      rate_per_minute=rate_per_minute)  # fmt: skip
    with transaction.atomic():
        if ApiClient.objects.filter(name__iexact=fields["name"]).exists():
            raise ValidationError(NAME_TAKEN.format(name=fields["name"]), code="name")
        client = ApiClient.objects.create(created_by=actor, **fields)
        key = _key_issue(client, actor)
        audit_record(action=Action.API_CLIENT_CREATED, actor=actor, obj=client, new=_audited(client))
    return IssuedKey(client=client, key=key)


def client_change(
    *, actor: User, client: ApiClient, scopes, networks=(), expires_on: date | None = None, rate_per_minute: int = 600
) -> ApiClient:
    """New scopes, networks, expiry or rate for a live client (its keys stay)."""
    _require_manager(actor)
    if client.revoked_at is not None:
        raise ValidationError(REVOKED.format(name=client.name), code="revoked")
    fields = _checked(name=client.name, scopes=scopes, networks=networks, expires_on=expires_on,
                      rate_per_minute=rate_per_minute)  # fmt: skip
    with transaction.atomic():
        old = _audited(client)
        for field, value in fields.items():
            setattr(client, field, value)
        client.save()
        audit_record(action=Action.API_CLIENT_CHANGED, actor=actor, obj=client, old=old, new=_audited(client))
    return client


def key_rotate(*, actor: User, client: ApiClient, grace_hours: int = 0) -> IssuedKey:
    """A new key for `client`; its current keys stay valid `grace_hours` more (0: end now)."""
    _require_manager(actor)
    if client.revoked_at is not None:
        raise ValidationError(REVOKED.format(name=client.name), code="revoked")
    if not 0 <= grace_hours <= MAX_GRACE_HOURS:
        raise ValidationError(BAD_GRACE.format(hours=MAX_GRACE_HOURS), code="grace_hours")
    until = timezone.now() + timedelta(hours=grace_hours)
    with transaction.atomic():
        ApiKey.objects.filter(client=client, valid_until__isnull=True).update(valid_until=until)
        ApiKey.objects.filter(client=client, valid_until__gt=until).update(valid_until=until)
        key = _key_issue(client, actor)
        audit_record(action=Action.API_KEY_ROTATED, actor=actor, obj=client,
                     new={"old_keys_valid_until": until})  # fmt: skip
    return IssuedKey(client=client, key=key)


def client_revoke(*, actor: User, client: ApiClient, reason: str = "") -> ApiClient:
    """The client and every key of it stop working now."""
    _require_manager(actor)
    now = timezone.now()
    with transaction.atomic():
        client.revoked_at = client.revoked_at or now
        client.save(update_fields=["revoked_at"])
        ApiKey.objects.filter(client=client).exclude(valid_until__lte=now).update(valid_until=now)
        audit_record(action=Action.API_CLIENT_REVOKED, actor=actor, obj=client, reason=reason)
    return client


def client_for_key(key: str) -> ApiClient | None:
    """The live client whose live key is `key`, or None. Only the current school's schema is
    searched, so a key of another school is unknown here. Constant-time comparison."""
    prefix, _sep, rest = (key or "").partition("_")
    key_id, _sep, secret = rest.partition("_")
    if prefix != ApiKey.PREFIX or not key_id or not secret or len(key) > 200:
        return None
    record = ApiKey.objects.select_related("client").filter(key_id=key_id).first()
    if record is None or not hmac.compare_digest(record.digest, _digest(key)):
        return None
    client = record.client
    if not (record.live and client.live):
        return None
    now = timezone.now()
    if client.last_used_at is None or now - client.last_used_at > LAST_USED_EVERY:
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
    return client


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
