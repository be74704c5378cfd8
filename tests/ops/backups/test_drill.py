"""The restore drill: a recent backup restored into a scratch schema and compared with its
source; the result recorded; a mismatch or a failure logged and sent to Sentry."""

import logging
from datetime import timedelta
from pathlib import Path

import pytest
import sentry_sdk
from django.utils import timezone
from psycopg import sql

from catedra.sentry import sentry_init
from ops.backups import pg
from ops.backups.drill import restore_drill, restore_drill_run
from ops.backups.full import backup_full_run
from ops.backups.incremental import backup_incremental_run
from ops.models import Backup, RestoreDrill
from tests.backup_fixtures import backup_command as backup
from tests.backup_fixtures import grades_change
from tests.catedra.test_sentry import CapturingTransport

pytestmark = pytest.mark.slow
PERSONAL = ("Irina", "Bălan", "secretariat@", "elev.copiat", "Copia de Siguran")


def choosing(backup_id: int):
    def choose(candidates):
        assert backup_id in candidates
        return backup_id

    return choose


def capture_sentry(work):
    transport = CapturingTransport()
    sentry_init(dsn="https://key@sentry.example/1", environment="test", transport=transport)
    try:
        result = work()
        sentry_sdk.flush()
    finally:
        sentry_sdk.init(dsn=None)
    events = [item.payload.json for envelope in transport.envelopes for item in envelope.items if item.type == "event"]
    sent = b"".join(envelope.serialize() for envelope in transport.envelopes).decode()
    return result, events, sent


def no_scratch_left() -> bool:
    with pg.connect(pg.live_params()) as conn:
        found = conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE '\\_verify\\_%'").fetchone()[0]
    return found == 0


def test_the_drill_restores_a_recent_incremental_on_its_full_backup_and_both_become_verified(
    seeded_school, real_db, local_storage, backup_db
):
    full = backup_full_run(school=seeded_school)
    grades_change(seeded_school, label="drill")
    run = backup_incremental_run(school=seeded_school)
    assert "unverified" in backup("list", "--school", seeded_school.slug)

    drill = restore_drill_run(choose=choosing(run.pk))

    assert drill.result == RestoreDrill.Result.PASSED and drill.finished_at is not None
    assert drill.tables == len(run.digests) and drill.rows == sum(table["rows"] for table in run.digests.values())
    full.refresh_from_db()
    run.refresh_from_db()
    assert full.restore_verified_at and run.restore_verified_at
    assert "unverified" not in backup("list", "--school", seeded_school.slug)
    assert no_scratch_left()


def test_a_drill_that_finds_a_difference_records_it_and_alerts_without_personal_data(
    seeded_school, real_db, local_storage, backup_db, caplog
):
    backup_full_run(school=seeded_school)
    grades_change(seeded_school, label="drill")
    run = backup_incremental_run(school=seeded_school)
    # The backup database loses a bit: one grade of the copy no longer says what the school had.
    grades = sql.Identifier(seeded_school.schema_name, "grades_grade")
    with pg.connect(backup_db, autocommit=True) as conn:
        conn.execute(
            sql.SQL(
                "UPDATE {} SET value = CASE WHEN value = 10 THEN 9 ELSE 10 END"
                " WHERE id = (SELECT min(id) FROM {} WHERE value IS NOT NULL)"
            ).format(grades, grades)
        )

    with caplog.at_level(logging.ERROR, logger="catedra.backups"):
        drill, events, sent = capture_sentry(lambda: restore_drill(backup=run))

    assert drill.result == RestoreDrill.Result.MISMATCH
    rows = run.digests["grades_grade"]["rows"]
    assert drill.detail == f"grades_grade: {rows} rows as expected, but their content differs"
    run.refresh_from_db()
    assert run.restore_verified_at is None and run.verification.startswith("MISMATCH")
    assert "unverified (the last trial restore failed)" in backup("list", "--school", seeded_school.slug)
    [alert] = [event for event in events if "restore drill" in event.get("message", "")]
    assert alert["level"] == "error"
    assert alert["tags"]["school"] == seeded_school.schema_name and alert["tags"]["backup_kind"] == "incremental"
    assert any(f"restore drill #{drill.pk}" in record.getMessage() for record in caplog.records)
    for personal in PERSONAL:
        assert personal not in sent
    assert no_scratch_left()


def test_a_drill_of_a_backup_corrupted_in_storage_fails_and_alerts(seeded_school, real_db, local_storage):
    full = backup_full_run(school=seeded_school)
    stored = Path(full.location.removeprefix("file://"))
    body = bytearray(stored.read_bytes())
    body[len(body) // 3] ^= 0x01
    stored.write_bytes(bytes(body))

    drill, events, _sent = capture_sentry(lambda: restore_drill(backup=full))

    assert drill.result == RestoreDrill.Result.FAILED and "is corrupt" in drill.detail
    assert Backup.objects.get(pk=full.pk).restore_verified_at is None
    assert any(f"restore drill #{drill.pk}" in event.get("message", "") for event in events)


def test_with_no_recent_backup_there_is_nothing_to_drill(db, caplog):
    with caplog.at_level(logging.WARNING, logger="catedra.backups"):
        assert restore_drill_run(now=timezone.now() + timedelta(days=400)) is None
    assert "no backup taken since" in caplog.text
    assert not RestoreDrill.objects.exists()
