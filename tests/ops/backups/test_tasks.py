"""The backup jobs: beat's schedule, retries with backoff, a Sentry event at the end."""

import pytest
import sentry_sdk
from django.conf import settings as django_settings

from ops.models import Backup
from ops.sentry import sentry_init
from ops.tasks import backup_school
from tests.helpers import free_port
from tests.ops.test_sentry import CapturingTransport

pytestmark = pytest.mark.slow


def test_beat_schedules_daily_incrementals_monthly_fulls_and_the_purge():
    schedule = django_settings.CELERY_BEAT_SCHEDULE
    incremental, full = schedule["backups-incremental"]["schedule"], schedule["backups-full"]["schedule"]
    assert (incremental.hour, incremental.minute) == ({2}, {30})
    assert (full.hour, full.minute, full.day_of_month) == ({3}, {30}, {1})
    assert schedule["backups-purge"]["task"] == "ops.tasks.backups_purge_job"


def test_a_failing_backup_is_retried_with_backoff_then_reported_without_personal_data(
    seeded_school, real_db, settings, s3
):
    settings.BACKUP_S3_ENDPOINT = f"http://127.0.0.1:{free_port()}"
    transport = CapturingTransport()
    sentry_init(dsn="https://key@sentry.example/1", environment="test", transport=transport)
    try:
        result = backup_school.apply(args=(seeded_school.pk, "full"))
        sentry_sdk.flush()
    finally:
        sentry_sdk.init(dsn=None)

    assert result.failed()
    assert backup_school.retry_backoff == 60 and backup_school.max_retries == 5
    attempts = Backup.objects.filter(school=seeded_school)
    assert attempts.count() == 6 and set(attempts.values_list("status", flat=True)) == {"failed"}
    events = [item.payload.json for envelope in transport.envelopes for item in envelope.items if item.type == "event"]
    # Ours, and the Celery integration's report of the job's last failure.
    [ours] = [event for event in events if "failed after retries" in event.get("message", "")]
    assert ours["tags"]["school"] == seeded_school.schema_name and ours["tags"]["backup_kind"] == "full"
    sent = b"".join(envelope.serialize() for envelope in transport.envelopes).decode()
    for personal in ("Irina", "Bălan", "secretariat@", "elev.copiat"):
        assert personal not in sent
