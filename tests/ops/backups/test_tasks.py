"""The backup jobs: beat's schedule, retries with backoff, a Sentry event at the end."""

import pytest
import sentry_sdk
from django.conf import settings as django_settings

from catedra.sentry import sentry_init
from ops.backups import pg
from ops.models import Backup
from ops.tasks import backup_school
from tests.catedra.test_sentry import CapturingTransport
from tests.helpers import free_port

pytestmark = pytest.mark.slow


def test_beat_schedules_daily_incrementals_monthly_fulls_and_the_purge():
    schedule = django_settings.CELERY_BEAT_SCHEDULE
    incremental, full = schedule["backups-incremental"]["schedule"], schedule["backups-full"]["schedule"]
    assert (incremental.hour, incremental.minute) == ({2}, {30})
    assert (full.hour, full.minute, full.day_of_month) == ({3}, {30}, {1})
    assert schedule["backups-purge"]["task"] == "ops.tasks.backups_purge_job"
    drill = schedule["backups-restore-drill"]
    assert drill["task"] == "ops.tasks.backups_restore_drill_job"
    assert (drill["schedule"].day_of_week, drill["schedule"].hour, drill["schedule"].minute) == ({0}, {4}, {30})


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("BACKUP_INCREMENTAL_TIME", "25:00", "BACKUP_INCREMENTAL_TIME must be a time of day as HH:MM"),
        ("BACKUP_DRILL_TIME", "4.30", "BACKUP_DRILL_TIME must be a time of day as HH:MM"),
        ("BACKUP_DRILL_WEEKDAY", "7", "BACKUP_DRILL_WEEKDAY must be 0 (Sunday) to 6 (Saturday)"),
        ("BACKUP_FULL_DAY", "0", "BACKUP_FULL_DAY must be a day of the month, 1 to 31"),
        ("BACKUP_FULL_DAY", "32", "BACKUP_FULL_DAY must be a day of the month, 1 to 31"),
    ],
)
def test_settings_refuse_a_bad_backup_schedule(variable, value, problem):
    from tests.helpers import clean_env, run_catedra

    servers = {"DATABASE_URL": "postgres://nobody@127.0.0.1:1/none", "REDIS_URL": "redis://127.0.0.1:1/0"}
    result = run_catedra("check", env=clean_env(**{variable: value}, **servers))
    assert result.returncode != 0 and problem in result.stderr


def test_the_daily_incremental_runs_at_the_configured_time():
    from tests.helpers import clean_env, run_catedra

    servers = {"DATABASE_URL": "postgres://nobody@127.0.0.1:1/none", "REDIS_URL": "redis://127.0.0.1:1/0"}
    script = (
        "from django.conf import settings; s = settings.CELERY_BEAT_SCHEDULE['backups-incremental']['schedule'];"
        " print(sorted(s.hour), sorted(s.minute))"
    )
    result = run_catedra("shell", "-c", script, env=clean_env(BACKUP_INCREMENTAL_TIME="23:05", **servers))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[23] [5]"


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


def test_an_incremental_run_that_finds_the_structure_changed_queues_a_full_backup(
    seeded_school, real_db, backup_db, local_storage
):
    from catedra.celery_app import app

    schema = seeded_school.schema_name
    first = backup_school.apply(args=(seeded_school.pk, "incremental")).get()
    assert not Backup.objects.get(pk=first).structure_changed
    with pg.connect(pg.owner_params(), autocommit=True) as conn:
        conn.execute(f"ALTER TABLE {schema}.grades_grade ADD COLUMN tests_migration integer")
    app.conf.task_always_eager = True  # the queued full backup runs here, at once
    try:
        run = Backup.objects.get(pk=backup_school.apply(args=(seeded_school.pk, "incremental")).get())
    finally:
        app.conf.task_always_eager = False
        with pg.connect(pg.owner_params(), autocommit=True) as conn:
            conn.execute(f"ALTER TABLE {schema}.grades_grade DROP COLUMN tests_migration")
    assert run.structure_changed
    full = Backup.objects.get(school=seeded_school, kind=Backup.Kind.FULL)
    assert full.status == Backup.Status.DONE and full.started_at > run.started_at
    assert full.tables["grades_grade"] == run.digests["grades_grade"]  # the migrated structure's base
