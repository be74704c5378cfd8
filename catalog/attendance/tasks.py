"""Background jobs of attendance (run in the school's schema: the app carries it)."""

from django.utils import timezone

from catalog.attendance import deliveries, evidence
from catalog.attendance.deliveries import NoticeNotSent
from catedra.celery_app import app


# A mail server or SMS gateway that does not answer is tried again five times, at most 1, 2, 4,
# 8 and 16 minutes apart (jittered); after the sixth attempt the copy is recorded failed for the
# school to see and send again.
@app.task(
    bind=True, ignore_result=True, acks_late=True, autoretry_for=(NoticeNotSent,), max_retries=5,
    retry_backoff=60, retry_backoff_max=3600, retry_jitter=True,
)  # fmt: skip
def notice_deliver_job(self, delivery_id: int) -> None:
    """Send one parent's copy of a notice about absences (deliveries.delivery_attempt)."""
    deliveries.delivery_attempt(delivery_id=delivery_id, last=self.request.retries >= self.max_retries)


@app.task(ignore_result=True)
def request_photos_expire() -> None:
    """Delete the medical notes' photos of school years that ended (evidence.photos_expire);
    beat runs it in every school through ops.tasks.schools_dispatch."""
    evidence.photos_expire(today=timezone.localdate())
