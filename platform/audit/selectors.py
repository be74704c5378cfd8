"""Reading the audit trail: filtered lists for the audit pages, the chain walk, and the
chain's head and hashes at given events (what anchors outside the database are held against)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from audit.chain import CONTENT_FIELDS, ChainReport, chain_verify
from audit.models import AuditEvent


@dataclass(frozen=True)
class EventFilter:
    person: str = ""  # name, username or id of the person concerned
    actor: str = ""  # name, username or id of who acted
    action: str = ""
    since: date | None = None
    until: date | None = None


def events_filtered(f: EventFilter) -> QuerySet[AuditEvent]:
    """Events matching `f`, newest first."""
    events = AuditEvent.objects.order_by("-seq")
    if f.person:
        events = events.filter(_who("person", f.person))
    if f.actor:
        events = events.filter(_who("actor", f.actor))
    if f.action:
        events = events.filter(action=f.action)
    if f.since:
        events = events.filter(occurred_at__gte=_day_start(f.since))
    if f.until:
        events = events.filter(occurred_at__lt=_day_start(f.until + timedelta(days=1)))
    return events


def _who(prefix: str, text: str) -> Q:
    query = Q(**{f"{prefix}_name__icontains": text})
    if text.isdigit() and len(text) < 19:
        query |= Q(**{f"{prefix}_id": int(text)})
    return query


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def chain_report() -> ChainReport:
    """Verify the current schema's whole chain, streaming it in `seq` order."""
    rows = (
        AuditEvent.objects.order_by("seq")
        .values_list("seq", "prev_hash", "hash", "content_hash", *CONTENT_FIELDS)
        .iterator(chunk_size=5000)
    )
    return chain_verify(rows)


def chain_head() -> tuple[int, str] | None:
    """(seq, hash) of the current schema's newest event; None while its trail is empty."""
    return AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()


def chain_hashes(seqs) -> dict[int, str]:
    """The stored hash of each event of `seqs` that exists in the current schema's trail."""
    return dict(AuditEvent.objects.filter(seq__in=list(seqs)).values_list("seq", "hash"))
