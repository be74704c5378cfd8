"""Recording audit events: `audit_record` is called by every service that changes
something worth answering for, inside that service's transaction (if the event cannot
be written, the change fails with it).

Who acted, from where and through which door comes from the audit context: the
middleware opens one per request (request id, IP, the signed-in user, source "page" or
"api"); jobs and commands open their own with `audit_context`. The same context is
attached to the row-history triggers (django-pghistory) so that even bulk or raw-SQL
changes of tracked models carry the actor, the request id and the reason.
"""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any

import pghistory
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from audit.chain import canonical_json, json_safe, text_hash
from audit.models import ActorKind, Source


@dataclass(frozen=True)
class AuditContext:
    source: str = Source.JOB
    request: Any = None  # the HttpRequest: its user is read when an event is recorded
    actor_label: str = ""  # an API client or a job, when no user acts
    actor_kind: str = ActorKind.SYSTEM
    request_id: str = ""
    ip: str = ""
    reason: str = ""


_current: ContextVar[AuditContext] = ContextVar("audit_context", default=AuditContext())  # noqa: B039 - immutable


@contextlib.contextmanager
def audit_context(*, history: bool = True, **fields: Any) -> Iterator[AuditContext]:
    """Run a block under an audit context: the current one with `fields` changed (e.g.
    `audit_context(source=Source.IMPORT)` or `audit_context(actor_kind=ActorKind.JOB,
    actor_label="job:backup", source=Source.JOB)`), also attached to row-history triggers
    unless `history` is off (a reading request writes no rows)."""
    context = replace(_current.get(), **fields)
    token = _current.set(context)
    try:
        with pghistory.context(**_history_metadata(context)) if history else contextlib.nullcontext():
            yield context
    finally:
        _current.reset(token)


def context_update(**fields: Any) -> None:
    """Change the current context until its scope ends (e.g. the API door naming its
    client once the token is checked). Only inside a scope: the middleware's or audit_context's."""
    _current.set(replace(_current.get(), **fields))


def _history_metadata(context: AuditContext) -> dict[str, str]:
    user = _request_user(context)
    actor = f"user:{user.pk} {user.username}" if user else f"{context.actor_kind}:{context.actor_label}"
    metadata = {"actor": actor, "source": context.source, "request_id": context.request_id}
    if context.reason:
        metadata["reason"] = context.reason
    return metadata


def _request_user(context: AuditContext):
    user = getattr(context.request, "user", None)
    return user if user is not None and user.is_authenticated else None


def audit_record(
    *,
    action: str,
    actor: Any = None,
    obj: Any = None,
    object_type: str = "",
    object_id: Any = "",
    person: Any = None,
    old: dict | None = None,
    new: dict | None = None,
    reason: str = "",
) -> None:
    """Append one event to the current schema's audit trail (numbered and chained by the
    database when it arrives: read it back from AuditEvent, after the next statement).

    `actor` is a user, or a label such as "api:ministry" or "job" (default: the context's
    user or label); `obj` (or `object_type` and `object_id`) is what changed; `person`
    is whom it concerns (a student, an account); `old`/`new` hold the changed values.
    """
    context = _current.get()
    if isinstance(actor, str) and _request_user(context):
        actor = None  # a label stands for who acted only when nobody is signed in
    content = {
        "occurred_at": timezone.now(),
        **_actor_fields(actor, context),
        "action": str(action),
        "object_type": _text(object_type) if object_type else (obj._meta.label_lower if obj is not None else ""),
        "object_id": _text(object_id or (obj.pk if obj is not None else ""))[:64],
        "person_id": getattr(person, "pk", None),
        "person_name": _display_name(person)[:200] if person is not None else "",
        "old_values": json_safe(old) if old else {},
        "new_values": json_safe(new) if new else {},
        "reason": json_safe((reason or context.reason or "").strip()),
        "request_id": context.request_id,
        "ip": context.ip,
        "source": context.source,
    }
    canonical = canonical_json(content)
    digest = text_hash(canonical)
    # One call of the schema's audit_append() (migrations 0003, 0005: the runtime role may not
    # INSERT into the event table itself), fed the canonical JSON that was just hashed, so the
    # stored values are the hashed ones.
    # It rides along with the transaction's next statement or its COMMIT (no round trip of
    # its own); if it fails, so does the transaction, change included. The seq and hash
    # are the database's to give, at that moment. The schema is named: the call may travel
    # with the statement that switches search_path.
    db = connections[DEFAULT_DB_ALIAS]
    schema = getattr(db, "schema_name", None)
    call = (
        f"SELECT \"{schema}\".audit_append('{schema}', '{digest}', {_quoted(canonical)})"
        if schema
        else f"SELECT audit_append(current_schema(), '{digest}', {_quoted(canonical)})"
    )
    if hasattr(db, "ride_along"):
        db.ride_along(call)
    else:
        with transaction.atomic(savepoint=False), db.cursor() as cursor:
            cursor.execute(call)


def _quoted(text: str) -> str:
    """`text` as a PostgreSQL escape string literal, safe whatever standard_conforming_strings
    says. (Written out rather than asking the driver: this runs beside every write.)"""
    return "E'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def _text(value: Any) -> str:
    """A string a text column keeps as it is: NUL cannot be stored (nor hashed, then)."""
    return str(value).replace("\x00", "")


_ACTOR_KINDS = frozenset(ActorKind.values)


def _actor_fields(actor: Any, context: AuditContext) -> dict[str, Any]:
    if actor is None:
        actor = _request_user(context) or context.actor_label
    if hasattr(actor, "pk") and hasattr(actor, "roles"):
        return {
            "actor_kind": ActorKind.USER, "actor_id": actor.pk, "actor_name": _display_name(actor)[:200],
            "actor_roles": ",".join(sorted(actor.roles))[:200],
        }  # fmt: skip
    label = _text(actor or "")
    kind = label.partition(":")[0]
    if kind not in _ACTOR_KINDS:
        kind = ActorKind.ANONYMOUS if not label and context.request is not None else context.actor_kind
    return {"actor_kind": kind, "actor_id": None, "actor_name": label[:200], "actor_roles": ""}


def _display_name(person: Any) -> str:
    full = person.get_full_name() if hasattr(person, "get_full_name") else ""
    return _text(f"{full} ({person.username})" if full else getattr(person, "username", person))


def client_ip(request, *, behind_proxy: bool) -> str:
    """The client's address: behind our TLS proxy, the last X-Forwarded-For hop (the one
    the proxy added); otherwise REMOTE_ADDR. Empty if not a valid address."""
    candidate = request.META.get("REMOTE_ADDR", "")
    if behind_proxy and (forwarded := request.META.get("HTTP_X_FORWARDED_FOR", "")):
        candidate = forwarded.split(",")[-1].strip()
    try:
        return str(ipaddress.ip_address(candidate[:64]))
    except ValueError:
        return ""
