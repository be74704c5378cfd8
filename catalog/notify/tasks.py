"""Background jobs of the families' notifications (run in the school's schema)."""

from catalog.notify import sending
from catalog.notify.sending import NotSentYet
from catedra.celery_app import app

# A server that does not answer is tried again five times, at most 1, 2, 4, 8 and 16 minutes
# apart (jittered); after that the notification is recorded as sent by the channels that
# worked, or failed.
RETRIES = {"autoretry_for": (NotSentYet,), "max_retries": 5, "retry_backoff": 60, "retry_backoff_max": 3600,
           "retry_jitter": True}  # fmt: skip


@app.task(bind=True, ignore_result=True, acks_late=True, **RETRIES)
def notification_send_job(self, notification_id: int) -> None:
    """Send one instant notification (sending.notification_send)."""
    sending.notification_send(notification_id=notification_id, last=self.request.retries >= self.max_retries)


@app.task(bind=True, ignore_result=True, acks_late=True, **RETRIES)
def digest_send_job(self, recipient_id: int) -> None:
    """Send one parent's evening digest (sending.digest_send)."""
    sending.digest_send(recipient_id=recipient_id, last=self.request.retries >= self.max_retries)


@app.task(ignore_result=True)
def notifications_sweep() -> int:
    """In every school (ops.tasks.schools_dispatch): the evening's digests, and the instant
    notifications a broker that was down never took. How many jobs it started."""
    recipients, stragglers = sending.digest_recipients(), sending.instant_stragglers()
    for recipient_id in recipients:
        digest_send_job.delay(recipient_id)
    for notification_id in stragglers:
        notification_send_job.delay(notification_id)
    return len(recipients) + len(stragglers)
