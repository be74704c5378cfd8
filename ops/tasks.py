import sentry_sdk
from celery.signals import beat_init, task_prerun
from django.db import connection
from django_tenants.utils import schema_context

from catedra.celery_app import app
from catedra.sentry import tag_school
from ops import services
from ops.anchors import AnchorError, anchor_write, schemas_to_anchor
from tenants.selectors import schemas_to_migrate

SCHEDULER_HEARTBEAT = "scheduler"


class BackupJobError(Exception):
    """A backup attempt failed (the job retries it)."""


class AnchorJobError(Exception):
    """Anchoring an audit chain failed (the job retries it; the next hour's run too)."""


@app.task(ignore_result=True)
def scheduler_heartbeat() -> None:
    """Sent by beat every minute; when it stops arriving, /readyz reports a stalled scheduler."""
    services.heartbeat_record(name=SCHEDULER_HEARTBEAT)


@beat_init.connect
def _beat_started(sender=None, **kwargs) -> None:
    # The first scheduled run is a minute away: report the scheduler alive at once.
    scheduler_heartbeat.delay()


@task_prerun.connect
def _tag_school(sender=None, **kwargs) -> None:
    # Connected after tenant-schemas-celery's own handler, so the schema is already switched.
    tag_school(connection.schema_name)


# -- backups (Order 3896/2023 art. 8) ---------------------------------------------------

# Lifecycle states whose schools are backed up: those that still have a schema (ops.selectors).
BACKED_UP = ("active", "suspended", "ended")
# Spread the schools' jobs over this many seconds after the scheduled time.
DISPATCH_SPREAD = 600


def _dispatch(kind: str) -> int:
    from ops.selectors import schools_to_back_up

    ids = schools_to_back_up(kind=kind)
    for position, school_id in enumerate(ids):
        backup_school.apply_async((school_id, kind), countdown=position * DISPATCH_SPREAD // max(len(ids), 1))
    return len(ids)


@app.task(ignore_result=True)
def backups_incremental_dispatch() -> int:
    """Daily (beat, BACKUP_INCREMENTAL_TIME): one incremental job per school, except ended
    schools that opted out."""
    return _dispatch("incremental")


@app.task(ignore_result=True)
def backups_full_dispatch() -> int:
    """Monthly (beat, BACKUP_FULL_DAY at BACKUP_FULL_TIME): one full backup job per school."""
    return _dispatch("full")


@app.task(
    bind=True, ignore_result=True, autoretry_for=(BackupJobError,), max_retries=5, retry_backoff=60,
    retry_backoff_max=3600, retry_jitter=True,
)  # fmt: skip
def backup_school(self, school_id: int, kind: str) -> int:
    """One school's backup; retried with growing delays, then reported to Sentry. Each
    attempt is its own record: a failed one stays failed, never counted as a backup. An
    incremental run that finds the structure changed (a migration) queues a full backup."""
    from ops.backups.full import BackupError, backup_full_run
    from ops.backups.incremental import backup_incremental_run
    from tenants.models import School

    school = School.objects.get(pk=school_id)
    run = backup_full_run if kind == "full" else backup_incremental_run
    try:
        record = run(school=school)
    except BackupError as exc:
        if self.request.retries >= self.max_retries:
            backup_failure_report(schema=school.schema_name, kind=kind, error=exc)
        raise BackupJobError(str(exc)) from exc
    if record.structure_changed:
        # After a migration: a base the new structure's runs can be restored on, now.
        backup_school.delay(school_id, "full")
    return record.pk


@app.task(ignore_result=True)
def backups_purge_job() -> int:
    """Daily: delete the backups whose retention period is over, with certificates."""
    from ops.backups.retention import backups_purge

    return len(backups_purge(actor="job:backups-purge"))


@app.task(ignore_result=True)
def backups_restore_drill_job() -> int | None:
    """Weekly (beat, BACKUP_DRILL_WEEKDAY at BACKUP_DRILL_TIME): restore a random recent
    backup into a scratch schema and compare it with its source; the drill's id."""
    from ops.backups.drill import restore_drill_run

    drill = restore_drill_run()
    return drill.pk if drill else None


# -- audit anchors (ops.anchors) -------------------------------------------------------

# Spread the schemas' anchoring over this many seconds after the hour's run.
ANCHOR_SPREAD = 300


@app.task(ignore_result=True)
def audit_anchors_dispatch() -> int:
    """Hourly (beat): one anchoring job per schema with an audit trail (the control plane
    and every school with a schema; never the template)."""
    schemas = schemas_to_anchor()
    for position, schema in enumerate(schemas):
        audit_anchor_schema.apply_async((schema,), countdown=position * ANCHOR_SPREAD // max(len(schemas), 1))
    return len(schemas)


@app.task(ignore_result=True, autoretry_for=(AnchorJobError,), max_retries=3, retry_backoff=60, retry_jitter=True)
def audit_anchor_schema(schema: str) -> int | None:
    """Anchor one schema's audit chain head in the backup storage, unless it has not moved
    since the last anchor; the event anchored, if any."""
    try:
        anchor = anchor_write(schema=schema, reason="hourly")
    except AnchorError as exc:
        raise AnchorJobError(str(exc)) from exc
    return anchor.seq if anchor else None


# -- the schools' own periodic jobs ------------------------------------------------------

# Spread the schools' runs of one periodic job over this many seconds.
SCHOOLS_SPREAD = 300


@app.task(ignore_result=True)
def schools_dispatch(task_name: str) -> int:
    """Beat (CELERY_BEAT_SCHEDULE): run the catalog's periodic task `task_name` once in every
    school that has a schema, spread over SCHOOLS_SPREAD seconds. The platform names the
    task (the catalog registers it with the app); it never imports the catalog."""
    task = app.tasks[task_name]
    schemas = schemas_to_migrate()
    for position, schema in enumerate(schemas):
        with schema_context(schema):  # the task carries the schema it was sent from
            task.apply_async(countdown=position * SCHOOLS_SPREAD // max(len(schemas), 1))
    return len(schemas)


def backup_failure_report(*, schema: str, kind: str, error: Exception) -> None:
    """A Sentry event naming the school's schema and what failed; no values from the data."""
    with sentry_sdk.new_scope() as scope:
        scope.set_tag("school", schema)
        scope.set_tag("backup_kind", kind)
        sentry_sdk.capture_message(f"{kind} backup of {schema} failed after retries: {error}", level="error")
