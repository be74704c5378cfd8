"""Answering a listing: a full listing by id pages, or a sync window (`updated_since`), each
in one REPEATABLE READ transaction (its reads and its snapshot agree), with an ETag, and
audited: which client read which endpoint, how many records."""

import hashlib
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction
from django.http import HttpResponse

from audit.actions import Action
from audit.services import audit_record
from catalog.api import sync
from catalog.api.errors import refusal
from catalog.api.models import ApiClient, Scope
from catalog.api.resources import Filters, Resource

# A listing's cursor is good for a day: long enough for any sync, short enough that old
# cursors do not pile up in clients' logs as valid.
CURSOR_AGE = 24 * 3600


@dataclass(frozen=True)
class Paging:
    limit: int
    cursor: str | None
    updated_since: str | None


def scope_require(client: ApiClient, *scopes: str) -> None:
    for scope in scopes:
        if scope not in client.scopes:
            raise refusal(403, "scope_missing", scope=scope)


def only_known(request, known: set[str]) -> None:
    for name in request.GET:
        if name not in known:
            raise refusal(400, "unknown_parameter", name=name[:40])


@contextmanager
def one_snapshot():
    """A transaction whose reads all see one snapshot (REPEATABLE READ), the one
    `sync.snapshot_now()` names. Inside a transaction already (a test's), that one's.
    Read only in effect: the audit trail's append must not run in it (it numbers events
    after a lock, and a REPEATABLE READ snapshot would not see the number before it)."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def synced_listing(request, resource: Resource, filters: Filters, paging: Paging, page_schema) -> HttpResponse:
    client = request.auth
    scope_require(client, resource.scope)
    personal = Scope.PERSONAL in client.scopes
    fingerprint = [resource.name, *filters.fingerprint(), personal]
    with one_snapshot():
        now = sync.snapshot_now()
        state = _cursor_state(paging.cursor, fingerprint)
        conditions = resource.conditions(filters)
        if paging.updated_since or "p" in state:
            page = _window(resource, conditions, paging, state, now, personal)
        else:
            page = _full(resource, conditions, paging, state, now, personal)
        next_state = page.pop("next_state")
        page["next"] = sync.token_make("cursor", {**next_state, "f": fingerprint}) if next_state else None
        body = page_schema.model_validate(page)
    return answer(request, body, records=len(page["items"]), deleted=len(page["deleted"]), client=client)


def _cursor_state(cursor: str | None, fingerprint: list) -> dict:
    if not cursor:
        return {}
    try:
        state = sync.token_read(cursor, "cursor", max_age=CURSOR_AGE)
    except sync.TokenRefused as refused:
        raise refusal(400, refused.code) from None
    if state.get("f") != fingerprint:
        raise refusal(400, "invalid_token")
    return state


def _full(resource: Resource, conditions, paging: Paging, state: dict, now, personal: bool) -> dict:
    """Current rows in id order; the watermark is the snapshot of the first page, so that
    whatever changes while the pages are read is in the next window."""
    started = sync.Snapshot(state["w"]) if "w" in state else now
    after = int(state.get("a", 0))
    query = resource.model.objects.filter(pk__gt=after).order_by("pk")
    for condition in conditions:
        query = query.filter(condition.q())
    rows = resource.rows(query[: paging.limit + 1])
    more = len(rows) > paging.limit
    rows = rows[: paging.limit]
    return {
        "items": resource.items(rows, personal=personal), "deleted": [],
        "next_state": {"w": started.text, "a": rows[-1]["id"]} if more else None,
        "watermark": None if more else sync.watermark_make(started),
    }  # fmt: skip


def _window(resource: Resource, conditions, paging: Paging, state: dict, now, personal: bool) -> dict:
    """What changed between the client's watermark and now (the window is fixed by the first
    page's cursor for the pages after it)."""
    try:
        since = sync.Snapshot(state["p"]) if "p" in state else sync.watermark_read(paging.updated_since, now)
    except sync.TokenRefused as refused:
        raise refusal(409 if refused.code == "sync_reset" else 400, refused.code) from None
    until = sync.Snapshot(state["c"]) if "c" in state else now
    after = int(state.get("a", 0))
    changes = sync.changes(
        resource.history_table, since=since, until=until, after=after, limit=paging.limit + 1,
        where=[condition.sql() for condition in conditions], extra_changed=resource.extra_changed,
        extra_params=(since.xmin, until.text, since.text) if resource.extra_changed else (),
    )  # fmt: skip
    more = len(changes) > paging.limit
    changes = changes[: paging.limit]
    rows = sorted(resource.rows([c.event_id for c in changes if not c.deleted], history=True), key=_by_id)
    seen = bool(changes) or bool(state.get("n"))
    if more:
        watermark = None
    elif seen:
        watermark = sync.watermark_make(until)
    else:  # nothing changed: the same watermark again, so that the answer (and its ETag) stays the same
        watermark = paging.updated_since
    return {
        "items": resource.items(rows, personal=personal), "deleted": [c.obj_id for c in changes if c.deleted],
        "next_state": {"p": since.text, "c": until.text, "a": changes[-1].obj_id, "n": seen} if more else None,
        "watermark": watermark,
    }  # fmt: skip


def _by_id(row: dict) -> int:
    return row["id"]


def answer(request, body, *, records: int, client: ApiClient, deleted: int = 0) -> HttpResponse:
    """The body as JSON with its ETag, or 304 when the client holds it already; audited
    (after the reading transaction: see `one_snapshot`)."""
    data = body.model_dump_json(exclude_unset=True).encode()
    etag = '"' + hashlib.sha256(request.get_full_path().encode() + b"\n" + _stable(body, data)).hexdigest()[:40] + '"'
    not_modified = etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]
    audit_record(
        action=Action.API_READ, actor=f"api:{client.name}", object_type="api", object_id=request.path[:64],
        new={"client": client.pk, "records": records, "deleted": deleted, "not_modified": not_modified},
    )  # fmt: skip
    response = HttpResponse(status=304) if not_modified else HttpResponse(data, content_type="application/json")
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response


def _stable(body, data: bytes) -> bytes:
    """What the ETag is computed over: the page's contents, not its tokens (they name a snapshot,
    which moves whenever anything in the cluster commits). A client holding a page with older
    tokens loses nothing: an older watermark only shows it some changes again."""
    if not hasattr(body, "watermark"):
        return data
    return body.model_dump_json(exclude_unset=True, include={"items", "deleted"}).encode() + (
        b"+" if body.next else b"."
    )
