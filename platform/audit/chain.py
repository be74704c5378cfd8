"""The hash chain of audit events: canonical content, hashes, and verification.

An event's `content_hash` is the SHA-256 of its canonical content (CONTENT_FIELDS as
sorted, compact JSON); its `hash` is the SHA-256 of the previous event's `hash` followed
by its own `content_hash` (the database computes it, see audit.migrations.0002). Changing
any field of any event, deleting one or reordering them breaks the chain at that event.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

GENESIS = "0" * 64
CONTENT_FIELDS = (
    "occurred_at", "actor_kind", "actor_id", "actor_name", "actor_roles", "action", "object_type", "object_id",
    "person_id", "person_name", "old_values", "new_values", "reason", "request_id", "ip", "source",
)  # fmt: skip


def json_safe(value: Any) -> Any:
    """`value` as plain JSON data that reads back from jsonb unchanged (no floats: jsonb
    may print them differently; dates, decimals and ids become strings; no NUL)."""
    if isinstance(value, dict):
        return {str(key).replace("\x00", ""): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return [json_safe(item) for item in items]
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (float, Decimal, UUID)):
        return str(value)
    return str(value).replace("\x00", "")


# What json.dumps(..., sort_keys=True, separators=(",", ":"), ensure_ascii=False) writes,
# without making an encoder per call.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, check_circular=False)


def canonical_json(content: dict[str, Any]) -> str:
    """The canonical text of an event's content: sorted, compact JSON, the time in UTC ISO form."""
    return _CANONICAL.encode({**content, "occurred_at": content["occurred_at"].astimezone(datetime.UTC).isoformat()})


def content_hash(content: dict[str, Any]) -> str:
    return text_hash(canonical_json(content))


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def link_hash(prev_hash: str, own_content_hash: str) -> str:
    return hashlib.sha256(f"{prev_hash}{own_content_hash}".encode()).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    events: int
    bad_seq: int | None = None  # the first event that does not verify
    problem: str = ""

    @property
    def intact(self) -> bool:
        return self.bad_seq is None


def chain_verify(rows) -> ChainReport:
    """Walk events in `seq` order, as (seq, prev_hash, hash, content_hash, *CONTENT_FIELDS)
    tuples, and report the first one that breaks the chain."""
    expected_prev, expected_seq, count = GENESIS, 1, 0
    for row in rows:
        seq, prev_hash, own_hash, stored_content_hash, *values = row
        problem = ""
        if seq != expected_seq:
            problem = f"sequence jumps from {expected_seq - 1} to {seq} (events missing)"
        elif prev_hash != expected_prev:
            problem = "does not link to the previous event"
        elif content_hash(dict(zip(CONTENT_FIELDS, values, strict=True))) != stored_content_hash:
            problem = "content altered"
        elif link_hash(prev_hash, stored_content_hash) != own_hash:
            problem = "hash altered"
        if problem:
            return ChainReport(events=count, bad_seq=seq, problem=problem)
        expected_prev, expected_seq, count = own_hash, seq + 1, count + 1
    return ChainReport(events=count)
