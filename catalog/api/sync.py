"""Incremental sync: what changed in a school's catalog between two moments, deletions
included, read from the row history that the database keeps for every tracked table.

A moment is a PostgreSQL snapshot (`pg_current_snapshot()`: xmin, xmax and the transactions
in progress). Every history row carries the id of the transaction that wrote it (`pgh_xid`,
migration 0002). The changes *between* snapshots P and C are the history rows visible in C
and not visible in P. Snapshots only grow, so every committed transaction falls into exactly
one window: a client that keeps the watermark (the snapshot) of its last answer and asks
from it again never misses nor repeats a change, whatever commits while it reads, in
whichever order. Times would not do: a transaction that started earlier can commit later.

An object's state in the window is its newest history row visible in C (row locks order the
writes of one row, and `pgh_id` with them): the answer is the state *as of C*, even when a
page is read later than C. Its last event being a deletion makes a tombstone.

Watermarks and cursors travel as signed tokens: a client cannot forge a snapshot, and a
token from another resource or filter is refused rather than misread.
"""

import re
from dataclasses import dataclass

from django.core import signing
from django.db import connection

SALT = "catedra.api.sync"
_SNAPSHOT = re.compile(r"^(\d{1,20}):(\d{1,20}):((?:\d{1,20},)*\d{1,20})?$")
# A snapshot of the whole cluster can list many transactions in progress; a token stays small.
MAX_TOKEN = 4000


class TokenRefused(ValueError):
    """A cursor or watermark that is not one of ours, or not for this listing."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Snapshot:
    text: str

    @property
    def xmin(self) -> int:
        return int(self.text.split(":", 1)[0])

    @property
    def xmax(self) -> int:
        return int(self.text.split(":", 2)[1])

    @classmethod
    def parse(cls, text: str) -> "Snapshot":
        match = _SNAPSHOT.match(text or "")
        if match is None or int(match[1]) > int(match[2]):
            raise TokenRefused("invalid_token")
        return cls(text)


def snapshot_now() -> Snapshot:
    """The snapshot of the current transaction (REPEATABLE READ: the one its reads see)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_snapshot()::text")
        return Snapshot(cursor.fetchone()[0])


def token_make(kind: str, payload: dict) -> str:
    return signing.dumps({"k": kind, **payload}, salt=SALT, compress=True)


def token_read(token: str, kind: str, max_age: int | None = None) -> dict:
    if not token or len(token) > MAX_TOKEN:
        raise TokenRefused("invalid_token")
    try:
        payload = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise TokenRefused("expired_token") from None
    except signing.BadSignature:
        raise TokenRefused("invalid_token") from None
    if not isinstance(payload, dict) or payload.get("k") != kind:
        raise TokenRefused("invalid_token")
    return payload


def watermark_read(token: str, now: Snapshot) -> Snapshot:
    """The snapshot a watermark names. One from another database (a restore into a new
    cluster starts transaction ids elsewhere) cannot be compared: the client must sync again."""
    snapshot = Snapshot.parse(token_read(token, "watermark").get("s", ""))
    if snapshot.xmin > now.xmax:
        raise TokenRefused("sync_reset")
    return snapshot


def watermark_make(snapshot: Snapshot) -> str:
    return token_make("watermark", {"s": snapshot.text})


@dataclass(frozen=True)
class Change:
    obj_id: int
    event_id: int  # the newest history row visible at the window's end (its `delete` row for a deletion)
    deleted: bool


def changes(
    table: str,
    *,
    since: Snapshot,
    until: Snapshot,
    after: int,
    limit: int,
    where: list[tuple[str, list]],
    extra_changed: str = "",
    extra_params: tuple = (),
) -> list[Change]:
    """The objects of the history table `table` changed between `since` and `until`, after
    object id `after`, in id order, at most `limit`: each with its newest event visible in
    `until`. `where` holds conditions on that event's columns (alias `e`). `extra_changed`
    is a query of more object ids to consider changed (a student whose account changed)."""
    visible = "pg_visible_in_snapshot({}.pgh_xid::text::xid8, %s::pg_snapshot)"
    changed = (
        f"SELECT c.pgh_obj_id FROM {table} c WHERE c.pgh_xid >= %s"  # noqa: S608 - table from our resources
        f" AND {visible.format('c')} AND NOT {visible.format('c')}"
    )
    params: list = [since.xmin, until.text, since.text]
    if extra_changed:
        changed += f" UNION {extra_changed}"
        params += list(extra_params)
    conditions = "".join(f" AND {sql}" for sql, _params in where)
    sql = (
        f"SELECT e.pgh_obj_id, e.pgh_id, e.pgh_label FROM ("  # noqa: S608
        f" SELECT DISTINCT ON (h.pgh_obj_id) h.* FROM {table} h"
        f" WHERE h.pgh_obj_id IN ({changed}) AND h.pgh_obj_id > %s AND {visible.format('h')}"
        f" ORDER BY h.pgh_obj_id, h.pgh_id DESC) e"
        f" WHERE TRUE{conditions} ORDER BY e.pgh_obj_id LIMIT %s"
    )
    params += [after, until.text]
    for _sql, condition_params in where:
        params += condition_params
    params.append(limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [Change(obj_id, event_id, label == "delete") for obj_id, event_id, label in cursor.fetchall()]
