from celery.signals import beat_init, task_prerun
from django.db import connection

from catedra.celery_app import app
from ops import services
from ops.sentry import tag_school

SCHEDULER_HEARTBEAT = "scheduler"


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
