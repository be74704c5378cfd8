"""Reads for the provider's backup overview (the console's operations page): per school
the latest incremental and full backup, whether a full backup was shown to restore, the
next scheduled runs, the failures since the last success, and the newest anchor of its
audit chain (ops.anchors; the control plane's too).

Everything a school's card needs, including whether it has a problem, is computed in SQL
as per-school subqueries (index look-ups on `ops_backup_school_kind`), so a page costs
the same few queries for 3 schools or 3,000, and the "problems only" filter and the
pagination happen in the database.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    BooleanField,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django_tenants.utils import get_public_schema_name

from catedra.sentry import redact
from ops.models import AuditAnchor, Backup, IncrementalOptOut, RestoreDrill
from ops.tasks import BACKED_UP
from tenants.models import School

Kind = Backup.Kind
Status = Backup.Status

# Schools on the page: those beat backs up, and archived ones (no schema any more, but
# their backups are kept until the end of the retention period).
SHOWN = (*BACKED_UP, School.Status.ARCHIVED)
# A scheduled run counts as missed only this long after its time: beat spreads the jobs
# over ten minutes and a failing job retries with backoff for about an hour.
GRACE = timedelta(hours=3)
# Failures listed per school and kind (all of them are counted).
FAILURES_LISTED = 3
SUMMARY_CHARS = 200
# Audit chains are anchored hourly: a chain neither anchored nor found unmoved for this
# long means the anchoring job is not keeping up.
ANCHOR_MAX_AGE = timedelta(hours=2)
_DAWN_OF_TIME = datetime(2000, 1, 1, tzinfo=ZoneInfo("UTC"))

PROBLEM_LABELS = {
    "incremental_failing": _("copia incrementală eșuează"),
    "full_failing": _("copia completă eșuează"),
    "incremental_overdue": _("copia incrementală programată lipsește"),
    "full_overdue": _("copia completă programată lipsește"),
    "verification_failed": _("verificarea prin restaurare a eșuat"),
    "drill_failed": _("ultimul exercițiu de restaurare nu a reușit"),
    "anchor_stale": _("jurnalul de audit nu a fost ancorat în ultimele 2 ore"),
}


# -- the schedule (beat's crontabs, in CELERY_TIMEZONE) ----------------------------------


@dataclass(frozen=True)
class Schedule:
    incremental_next: datetime | None
    full_next: datetime | None
    # The newest run of each kind that should be over by now: a success since then is expected.
    incremental_due: datetime | None
    full_due: datetime | None


def backup_schedule(*, now: datetime) -> Schedule:
    return Schedule(
        incremental_next=incremental_run_next(now=now),
        full_next=full_run_next(now=now),
        incremental_due=_previous(_incremental_runs, now - GRACE),
        full_due=_previous(_full_runs, now - GRACE),
    )


def incremental_run_next(*, now: datetime) -> datetime | None:
    """When beat starts the next daily incremental backups (strictly after `now`)."""
    return _next(_incremental_runs, now)


def full_run_next(*, now: datetime) -> datetime | None:
    """When beat starts the next monthly full backups; a month without BACKUP_FULL_DAY
    (31 in a 30-day month) has none, as with celery's crontab."""
    return _next(_full_runs, now)


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.CELERY_TIMEZONE)


def _local(day: date, hour_minute: str) -> datetime:
    # A time the spring change skips counts as the hour after it, one the autumn change
    # repeats at its first occurrence (zoneinfo's fold=0).
    hour, _sep, minute = hour_minute.partition(":")
    return datetime.combine(day, time(int(hour), int(minute)), tzinfo=_zone())


def _incremental_runs(around: datetime) -> list[datetime]:
    today = around.astimezone(_zone()).date()
    return [_local(today + timedelta(days=offset), settings.BACKUP_INCREMENTAL_TIME) for offset in range(-2, 3)]


def _full_runs(around: datetime) -> list[datetime]:
    local = around.astimezone(_zone())
    runs = []
    for offset in range(-3, 4):  # the day exists in at least one month of any three in a row
        year, month = divmod(local.year * 12 + local.month - 1 + offset, 12)
        try:
            day = date(year, month + 1, settings.BACKUP_FULL_DAY)
        except ValueError:
            continue
        runs.append(_local(day, settings.BACKUP_FULL_TIME))
    return runs


def _next(runs, now: datetime) -> datetime | None:
    return min((run for run in runs(now) if run > now), default=None)


def _previous(runs, moment: datetime) -> datetime | None:
    return max((run for run in runs(moment) if run <= moment), default=None)


# -- per-school figures ------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    kind: str
    started_at: datetime
    summary: str

    @property
    def kind_label(self) -> str:
        return Kind(self.kind).label


@dataclass(frozen=True)
class Drill:
    """The school's newest restore drill (the weekly job restores one recent backup)."""

    started_at: datetime
    result: str
    backup_id: int
    summary: str

    @property
    def result_label(self) -> str:
        return RestoreDrill.Result(self.result).label

    @property
    def passed(self) -> bool:
        return self.result == RestoreDrill.Result.PASSED


@dataclass(frozen=True)
class AnchorState:
    """A schema's newest audit chain anchor, as the console shows it."""

    seq: int | None
    anchored_at: datetime | None
    confirmed_at: datetime | None  # the last time the chain's head was found where the anchor holds it
    stale: bool


@dataclass
class SchoolBackups:
    """One school's card."""

    school: School
    scheduled: bool
    incremental: Backup | None  # the newest attempt, whatever its status
    full: Backup | None
    full_done: Backup | None  # the newest completed full backup (what a restore would use)
    verified_at: datetime | None  # the newest successful trial restore of any full backup
    incremental_failures: int
    full_failures: int
    problems: list[str]
    failures: list[Failure] = field(default_factory=list)
    incremental_next: datetime | None = None  # None: not scheduled (archived, or opted out)
    full_next: datetime | None = None
    opted_out_since: datetime | None = None  # an ended school's daily incremental is off
    drill: Drill | None = None
    anchor: AnchorState | None = None

    @property
    def verification(self) -> str:
        """Of the newest completed full backup: verified, failed, unverified or none."""
        if self.full_done is None:
            return "none"
        if self.full_done.restore_verified_at is not None:
            return "verified"
        return "failed" if self.full_done.verification else "unverified"

    @property
    def verification_summary(self) -> str:
        return summary(self.full_done.verification) if self.full_done else ""

    @property
    def problem_labels(self) -> list[str]:
        return [PROBLEM_LABELS[name] for name in self.problems]


def summary(text: str) -> str:
    """An error's first line, redacted of anything that looks like personal data, short."""
    first = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return Truncator(redact(first)).chars(SUMMARY_CHARS)


def schools_backed_up(*, now: datetime, query: str = "", problems_only: bool = False) -> QuerySet[School]:
    """The schools of the page, each annotated with its backup figures and problem flags
    (one query, whatever the number of schools); `backup_cards` turns a page of them
    into cards."""
    schedule = backup_schedule(now=now)
    found = School.objects.exclude(schema_name="public").filter(status__in=SHOWN)
    if query:
        found = found.filter(Q(name__icontains=query) | Q(slug__icontains=query) | Q(siiir_code__startswith=query))
    found = found.annotate(**_figures()).annotate(**_flags(schedule, now=now))
    if problems_only:
        found = found.filter(has_problem=True)
    return found.order_by("name", "pk")


def backup_counts(*, now: datetime) -> dict[str, int]:
    """How many schools the page covers and how many of them have a problem (one query)."""
    return schools_backed_up(now=now).aggregate(
        schools=Count("pk"), with_problems=Count("pk", filter=Q(has_problem=True))
    )


def backup_cards(*, schools: list[School], now: datetime) -> list[SchoolBackups]:
    """Cards for annotated schools (from `schools_backed_up`): two queries in all."""
    schedule = backup_schedule(now=now)
    ids = {
        pk
        for school in schools
        for pk in (school.incremental_last_id, school.full_last_id, school.full_done_id)
        if pk is not None
    }
    records = Backup.objects.defer("tables").in_bulk(ids) if ids else {}
    failures = _failures(school_ids=[school.pk for school in schools]) if schools else {}
    return [
        _card(school, records=records, failures=failures.get(school.pk, []), schedule=schedule) for school in schools
    ]


def _card(school: School, *, records: dict[int, Backup], failures: list[Failure], schedule: Schedule) -> SchoolBackups:
    scheduled = school.status in BACKED_UP
    daily = scheduled and not school.incremental_opted_out
    return SchoolBackups(
        school=school,
        scheduled=scheduled,
        incremental=records.get(school.incremental_last_id),
        full=records.get(school.full_last_id),
        full_done=records.get(school.full_done_id),
        verified_at=school.verified_at,
        incremental_failures=school.incremental_failures,
        full_failures=school.full_failures,
        problems=[name for name in PROBLEM_LABELS if getattr(school, name)],
        failures=failures,
        incremental_next=schedule.incremental_next if daily else None,
        full_next=schedule.full_next if scheduled else None,
        opted_out_since=school.opted_out_since if school.incremental_opted_out else None,
        drill=_drill(school),
        anchor=_anchor(school),
    )


def _anchor(school: School) -> AnchorState:
    return AnchorState(
        seq=school.anchor_seq,
        anchored_at=school.anchor_at,
        confirmed_at=school.anchor_confirmed_at,
        stale=school.anchor_stale,
    )


def control_plane_anchor(*, now: datetime) -> AnchorState:
    """The control plane's newest audit chain anchor (one query)."""
    row = AuditAnchor.objects.filter(schema=get_public_schema_name()).first()
    if row is None:
        return AnchorState(seq=None, anchored_at=None, confirmed_at=None, stale=True)
    stale = row.confirmed_at < now - ANCHOR_MAX_AGE
    return AnchorState(seq=row.seq, anchored_at=row.anchored_at, confirmed_at=row.confirmed_at, stale=stale)


def _drill(school: School) -> Drill | None:
    if school.drill_started_at is None:
        return None
    return Drill(
        started_at=school.drill_started_at,
        result=school.drill_result,
        backup_id=school.drill_backup_id,
        summary=summary(school.drill_detail),
    )


def _newest(kind: str, *statuses: str) -> QuerySet[Backup]:
    found = Backup.objects.filter(school=OuterRef("pk"), kind=kind)
    found = found.filter(status__in=statuses) if statuses else found.exclude(status=Status.DELETED)
    return found.order_by("-started_at", "-id")


class _Count(Subquery):
    template = "(SELECT count(*) FROM (%(subquery)s) _counted)"
    output_field = IntegerField()


def _figures() -> dict[str, object]:
    figures: dict[str, object] = {}
    for kind in Kind.values:
        figures[f"{kind}_last_id"] = Subquery(_newest(kind).values("pk")[:1])
        figures[f"{kind}_done_at"] = Subquery(_newest(kind, Status.DONE).values("started_at")[:1])
        since = Coalesce(
            Subquery(
                Backup.objects.filter(school=OuterRef(OuterRef("pk")), kind=kind, status=Status.DONE)
                .order_by("-started_at", "-id")
                .values("started_at")[:1]
            ),
            Value(_DAWN_OF_TIME, output_field=DateTimeField()),
        )
        failed = Backup.objects.filter(school=OuterRef("pk"), kind=kind, status=Status.FAILED, started_at__gt=since)
        figures[f"{kind}_failures"] = _Count(failed.values("pk"))
    figures["full_done_id"] = Subquery(_newest(Kind.FULL, Status.DONE).values("pk")[:1])
    verified = _newest(Kind.FULL, Status.DONE).filter(restore_verified_at__isnull=False)
    figures["verified_at"] = Subquery(verified.order_by("-restore_verified_at").values("restore_verified_at")[:1])
    opt_out = IncrementalOptOut.objects.filter(school=OuterRef("pk"), ended_at__isnull=True)
    figures["opted_out_since"] = Subquery(opt_out.order_by("-started_at").values("started_at")[:1])
    drills = RestoreDrill.objects.filter(backup__school=OuterRef("pk")).order_by("-started_at", "-id")
    for name in ("started_at", "result", "detail", "backup_id"):
        figures[f"drill_{name}"] = Subquery(drills.values(name)[:1])
    anchor = AuditAnchor.objects.filter(schema=OuterRef("schema_name"))
    for name, column in (("seq", "seq"), ("at", "anchored_at"), ("confirmed_at", "confirmed_at")):
        figures[f"anchor_{name}"] = Subquery(anchor.values(column)[:1])
    return figures


def _scheduled(kind: str) -> Q:
    """Schools beat starts `kind` backups for, as ops.selectors.schools_to_back_up: those
    with a schema, except, for the daily incremental, ended schools that opted out."""
    scheduled = Q(status__in=BACKED_UP)
    if kind == Kind.INCREMENTAL:
        scheduled &= ~_opted_out()
    return scheduled


def _opted_out() -> Q:
    # An opt-out counts only while the school stays ended (a renewed contract ends it).
    return Q(status=School.Status.ENDED, opted_out_since__isnull=False)


def _flags(schedule: Schedule, *, now: datetime) -> dict[str, object]:
    flags = {
        "incremental_failing": Q(incremental_failures__gt=0),
        "full_failing": Q(full_failures__gt=0),
        "incremental_overdue": _overdue(_scheduled(Kind.INCREMENTAL), schedule.incremental_due, "incremental_done_at"),
        "full_overdue": _overdue(_scheduled(Kind.FULL), schedule.full_due, "full_done_at"),
        "verification_failed": Exists(
            Backup.objects.filter(pk=OuterRef("full_done_id"), restore_verified_at__isnull=True).exclude(
                verification=""
            )
        ),
        "drill_failed": Q(drill_result__in=[RestoreDrill.Result.MISMATCH, RestoreDrill.Result.FAILED]),
        "anchor_stale": _anchor_stale(now - ANCHOR_MAX_AGE),
    }
    wrapped = {name: ExpressionWrapper(condition, output_field=BooleanField()) for name, condition in flags.items()}
    any_problem = Q()
    for condition in flags.values():
        any_problem |= condition if isinstance(condition, Q) else Q(condition)
    return {
        **wrapped,
        "has_problem": ExpressionWrapper(any_problem, output_field=BooleanField()),
        "incremental_opted_out": ExpressionWrapper(_opted_out(), output_field=BooleanField()),
    }


def _overdue(scheduled: Q, due: datetime | None, done_at: str) -> Q:
    """A school beat backs up, older than the run that was due, with no success since."""
    if due is None:  # no such run (a BACKUP_FULL_DAY no month has): nothing is late
        return Q(Value(False, output_field=BooleanField()))
    return scheduled & Q(created_at__lt=due) & (Q(**{f"{done_at}__isnull": True}) | Q(**{f"{done_at}__lt": due}))


def _anchor_stale(since: datetime) -> Q:
    """A school whose chain the hourly job anchors (it has a schema), older than `since`,
    whose chain was neither anchored nor found unmoved since then."""
    unconfirmed = Q(anchor_confirmed_at__isnull=True) | Q(anchor_confirmed_at__lt=since)
    return Q(status__in=BACKED_UP) & Q(created_at__lt=since) & unconfirmed


def _failures(*, school_ids: list[int]) -> dict[int, list[Failure]]:
    """The newest failures since each kind's last success, per school (one query)."""
    last_done = (
        Backup.objects.filter(school=OuterRef("school"), kind=OuterRef("kind"), status=Status.DONE)
        .order_by("-started_at", "-id")
        .values("started_at")[:1]
    )
    rows = (
        Backup.objects.filter(school_id__in=school_ids, status=Status.FAILED)
        .annotate(done_at=Subquery(last_done))
        .filter(Q(done_at__isnull=True) | Q(started_at__gt=F("done_at")))
        .annotate(
            position=Window(
                RowNumber(), partition_by=[F("school_id"), F("kind")], order_by=[F("started_at").desc(), F("id").desc()]
            )
        )
        .filter(position__lte=FAILURES_LISTED)
        .order_by("school_id", "-started_at", "-id")
        .values_list("school_id", "kind", "started_at", "error")
    )
    found: dict[int, list[Failure]] = defaultdict(list)
    for school_id, kind, started_at, error in rows:
        found[school_id].append(Failure(kind=kind, started_at=started_at, summary=summary(error)))
    return found
