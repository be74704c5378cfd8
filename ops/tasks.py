from celery.signals import beat_init

from catedra.celery_app import app
from ops import services

SCHEDULER_HEARTBEAT = "scheduler"


@app.task(ignore_result=True)
def scheduler_heartbeat() -> None:
    """Sent by beat every minute; when it stops arriving, /readyz reports a stalled scheduler."""
    services.heartbeat_record(name=SCHEDULER_HEARTBEAT)


@beat_init.connect
def _beat_started(sender=None, **kwargs) -> None:
    # The first scheduled run is a minute away: report the scheduler alive at once.
    scheduler_heartbeat.delay()
