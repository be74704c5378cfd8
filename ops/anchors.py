"""Anchors of the audit chains outside the database: the head of a schema's chain (seq,
hash, time) signed with HMAC-SHA256 under AUDIT_ANCHOR_KEY, a key the database never
holds, written to the backup storage as a small JSON object that is never replaced.

Whoever has the database login can rewrite a trail and recompute every hash after the
change, or delete its newest events, and the chain still verifies; an anchor taken before
contradicts it, and cannot be forged without the key. Anchors are written hourly
(ops.tasks) and after every backup, only when the head has moved; `anchors_check` holds a
trail against them for `catedra audit verify`. docs/operations.md has the threat model.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from audit.selectors import chain_hashes, chain_head
from catedra.keys import backup_key_bytes
from catedra.objectstore import BackupStorage, StorageError, backup_storage
from ops.models import AuditAnchor, Backup
from tenants.selectors import schemas_to_migrate

logger = logging.getLogger("catedra.anchors")

FORMAT = "catedra-audit-anchor/1"
SIGNED = ("format", "schema", "seq", "hash", "anchored_at", "reason")
_SCHEMA = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_HASH = re.compile(r"[0-9a-f]{64}")
# Anchors read at once from the storage when a trail is checked (each is one GET).
READERS = 8


class AnchorError(Exception):
    """An anchor could not be written or checked (the key, the storage)."""


class AnchorInvalid(Exception):
    """A stored object is not a genuine anchor of the schema it was found under."""


@dataclass(frozen=True)
class Anchor:
    schema: str
    seq: int
    hash: str
    anchored_at: datetime
    reason: str

    @property
    def key(self) -> str:
        return f"{anchor_prefix(self.schema)}{self.anchored_at.astimezone(UTC):%Y%m%dT%H%M%S.%fZ}-{self.seq}.json"

    @property
    def when(self) -> str:
        return f"{self.anchored_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"

    def signed(self) -> dict[str, object]:
        return {
            "format": FORMAT,
            "schema": self.schema,
            "seq": self.seq,
            "hash": self.hash,
            "anchored_at": self.anchored_at.astimezone(UTC).isoformat(),
            "reason": self.reason,
        }


def anchor_prefix(schema: str) -> str:
    return f"{settings.BACKUP_S3_PREFIX}/anchors/{schema}/"


def schemas_to_anchor() -> list[str]:
    """The schemas whose chains are anchored: the control plane's and every school's that
    has a schema (the template holds no school's trail and has no school row)."""
    return [get_public_schema_name(), *schemas_to_migrate()]


# -- signing -----------------------------------------------------------------------------


def _key() -> bytes:
    try:
        return backup_key_bytes(settings.AUDIT_ANCHOR_KEY)
    except ValueError as exc:
        raise AnchorError(f"AUDIT_ANCHOR_KEY is {exc}: it must be 32 bytes in URL-safe base64") from exc


def _signature(signed: dict[str, object]) -> str:
    message = json.dumps(signed, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


def anchor_document(anchor: Anchor) -> bytes:
    """The stored object: the signed fields and their HMAC, as JSON."""
    signed = anchor.signed()
    return json.dumps({**signed, "hmac": _signature(signed)}, sort_keys=True, ensure_ascii=False).encode() + b"\n"


def anchor_read(key: str, data: bytes, *, schema: str) -> Anchor:
    """The anchor stored at `key` under `schema`'s prefix; AnchorInvalid saying what is wrong
    (unreadable, a signature that does not verify, another schema's, renamed)."""
    try:
        document = json.loads(data)
        signed = {name: document[name] for name in SIGNED}
        signature = document["hmac"]
    except (ValueError, KeyError, TypeError) as exc:
        raise AnchorInvalid("is not a readable anchor") from exc
    if set(document) != {*SIGNED, "hmac"} or not isinstance(signature, str):
        raise AnchorInvalid("is not a readable anchor")
    if not hmac.compare_digest(signature.encode(), _signature(signed).encode()):
        raise AnchorInvalid("is forged or altered: its HMAC does not verify under AUDIT_ANCHOR_KEY")
    anchor = _parsed(signed)
    if anchor.schema != schema:
        raise AnchorInvalid(f"is an anchor of another schema ({anchor.schema})")
    if anchor.key != key:
        raise AnchorInvalid(f"was moved: it anchors event {anchor.seq} of {anchor.when}")
    return anchor


def _parsed(signed: dict) -> Anchor:
    """A signed anchor's fields, checked (a genuine signature over nonsense is still nonsense)."""
    seq, digest = signed["seq"], signed["hash"]
    try:
        anchored_at = datetime.fromisoformat(signed["anchored_at"])
    except (TypeError, ValueError) as exc:
        raise AnchorInvalid("is not a readable anchor") from exc
    well_formed = (
        signed["format"] == FORMAT
        and type(seq) is int
        and seq >= 1
        and isinstance(digest, str)
        and _HASH.fullmatch(digest)
        and anchored_at.tzinfo is not None
        and isinstance(signed["schema"], str)
        and isinstance(signed["reason"], str)
    )
    if not well_formed:
        raise AnchorInvalid("is not a readable anchor")
    return Anchor(schema=signed["schema"], seq=seq, hash=digest, anchored_at=anchored_at, reason=signed["reason"])


# -- writing -----------------------------------------------------------------------------


def anchor_write(*, schema: str, reason: str, storage: BackupStorage | None = None) -> Anchor | None:
    """Anchor `schema`'s chain head in the backup storage. None when there is nothing new
    to anchor: an empty trail, or the head the schema's last anchor (in this storage)
    already holds; that anchor is then marked confirmed now. AnchorError if it fails."""
    if not _SCHEMA.fullmatch(schema):
        raise AnchorError(f"not a schema name: {schema!r}")
    storage = storage or backup_storage()
    with schema_context(schema):
        head = chain_head()
    if head is None:
        return None
    now = timezone.now()
    last = AuditAnchor.objects.filter(schema=schema).first()
    if last is not None and _holds(last, head, storage):
        AuditAnchor.objects.filter(pk=last.pk).update(confirmed_at=now)
        return None
    anchor = Anchor(schema=schema, seq=head[0], hash=head[1], anchored_at=now, reason=reason)
    document = anchor_document(anchor)
    try:
        storage.put_new(anchor.key, document)
    except StorageError as exc:
        raise AnchorError(f"anchoring {schema} at event {anchor.seq} failed: {exc}") from exc
    AuditAnchor.objects.update_or_create(
        schema=schema,
        defaults={
            "seq": anchor.seq,
            "hash": anchor.hash,
            "anchored_at": now,
            "confirmed_at": now,
            "key": anchor.key,
            "location": storage.location(anchor.key),
            "document": document.decode(),
        },
    )
    return anchor


def _holds(last: AuditAnchor, head: tuple[int, str], storage: BackupStorage) -> bool:
    """Whether the schema's recorded last anchor is in this storage and holds `head`. The
    row is believed only through its signed document: a row rewritten through the database
    login cannot stop the next anchor."""
    if last.location != storage.location(last.key):
        return False
    try:
        anchor = anchor_read(last.key, last.document.encode(), schema=last.schema)
    except AnchorInvalid:
        return False
    return (anchor.seq, anchor.hash) == tuple(head)


def anchor_after_backup(record: Backup, *, storage: BackupStorage | None = None) -> Anchor | None:
    """After a backup, anchor its school's chain too. The backup stands whatever happens
    here: a failure is logged (and so reported) and the hourly job anchors the head later."""
    try:
        return anchor_write(schema=record.source_schema, reason=f"{record.kind} backup #{record.pk}", storage=storage)
    except (AnchorError, DatabaseError) as exc:
        logger.error("audit chain of %s not anchored after backup #%s: %s", record.source_schema, record.pk, exc)
        return None


# -- checking ----------------------------------------------------------------------------


@dataclass
class AnchorReport:
    anchors: int = 0  # anchors that verify
    newest: Anchor | None = None  # the one at the highest event
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def anchors_check(*, schema: str, storage: BackupStorage | None = None) -> AnchorReport:
    """Hold `schema`'s trail against its anchors: every stored anchor must verify, the event
    at each anchored seq must carry the anchored hash (else the trail was re-chained), and
    no anchor may be past the trail's last event (else its tail was deleted).
    AnchorError if the storage cannot be read."""
    storage = storage or backup_storage()
    try:
        keys = [key for key in storage.keys(anchor_prefix(schema)) if key.endswith(".json")]
        with ThreadPoolExecutor(max_workers=READERS) as pool:
            documents = list(pool.map(storage.get, keys))
    except StorageError as exc:
        raise AnchorError(f"the anchors of {schema} could not be read: {exc}") from exc
    report, anchors = AnchorReport(), []
    for key, data in zip(keys, documents, strict=True):
        try:
            anchors.append(anchor_read(key, data, schema=schema))
        except AnchorInvalid as exc:
            report.problems.append(f"anchor {key} {exc}")
    with schema_context(schema):
        head = chain_head()
        stored = chain_hashes({anchor.seq for anchor in anchors})
    report.problems += contradictions(anchors, stored=stored, last_seq=head[0] if head else 0)
    report.anchors = len(anchors)
    report.newest = max(anchors, key=lambda anchor: (anchor.seq, anchor.anchored_at), default=None)
    return report


def contradictions(anchors: list[Anchor], *, stored: dict[int, str], last_seq: int) -> list[str]:
    """What genuine anchors say about a trail whose events up to `last_seq` carry `stored`
    hashes (at the anchored seqs): the first anchored event that differs, and the events
    deleted from its end."""
    problems = []
    differing = sorted(
        (anchor for anchor in anchors if anchor.seq <= last_seq and stored.get(anchor.seq) != anchor.hash),
        key=lambda anchor: (anchor.seq, anchor.anchored_at),
    )
    if differing:
        first, more = differing[0], len(differing) - 1
        if first.seq in stored:
            problem = f"re-chained: event {first.seq}'s hash differs from the anchor of {first.when}"
        else:
            problem = f"event {first.seq} is missing, anchored on {first.when}"
        if more:
            problem += (
                " (and a later anchor disagrees too)" if more == 1 else f" (and {more} later anchors disagree too)"
            )
        problems.append(problem)
    beyond = [anchor for anchor in anchors if anchor.seq > last_seq]
    if beyond:
        newest = max(beyond, key=lambda anchor: (anchor.seq, anchor.anchored_at))
        events = f"event {newest.seq}" if newest.seq == last_seq + 1 else f"events {last_seq + 1}..{newest.seq}"
        problems.append(f"{events} deleted since the anchor of {newest.when}")
    return problems
