"""Anchors of the audit chains outside the database (ops.anchors): hourly and with every
backup, a chain's head is signed with a key the database never holds and stored where the
backups go; `catedra audit verify` holds the trail against them, so a trail the database
owner re-chained or cut short, or a forged anchor, is reported."""

import json
import logging
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.db import connection, transaction
from django_tenants.utils import schema_context

from audit.actions import Action
from audit.chain import CONTENT_FIELDS, GENESIS, content_hash, link_hash
from audit.models import AuditEvent
from audit.selectors import chain_head, chain_report
from audit.services import audit_record
from catedra.objectstore import LocalFolderStorage, StorageError, backup_storage
from ops.anchors import Anchor, anchor_prefix, anchor_write, contradictions, schemas_to_anchor
from ops.backups.full import backup_full_run
from ops.backups.incremental import backup_incremental_run
from ops.models import AuditAnchor, Backup
from ops.tasks import audit_anchors_dispatch
from tenants.models import School
from tests.audit.test_chain import tamper, verify
from tests.conftest import SCHOOL_A
from tests.helpers import free_port

OTHER_KEY = "b3RoZXIta2V5LW9mLXRoaXJ0eS10d28tYnl0ZXMhISE="  # 32 bytes, URL-safe base64, not the configured key


def events(schema: str, count: int, *, note: str = "") -> None:
    with schema_context(schema), transaction.atomic():
        for n in range(count):
            audit_record(action=Action.LOGIN, new={"n": n, "note": note})


def head(schema: str) -> tuple[int, str]:
    with schema_context(schema):
        return chain_head()


def anchor_keys(schema: str | None = None) -> list[str]:
    prefix = anchor_prefix(schema) if schema else anchor_prefix("")
    return backup_storage().keys(prefix)


def stored(key: str, settings) -> Path:
    return Path(settings.BACKUP_LOCAL_DIR) / key


def rechain(schema: str, *, seq: int, reason: str) -> None:
    """What the database owner can do: rewrite event `seq` and recompute every hash after it,
    so the chain verifies again."""
    with schema_context(schema):
        previous = AuditEvent.objects.get(seq=seq - 1).hash if seq > 1 else GENESIS
        updates = []
        for event in AuditEvent.objects.filter(seq__gte=seq).order_by("seq"):
            content = {name: getattr(event, name) for name in CONTENT_FIELDS}
            if event.seq == seq:
                content["reason"] = reason
            own = content_hash(content)
            updates.append((content["reason"], previous, own, link_hash(previous, own), event.seq))
            previous = link_hash(previous, own)
        for values in updates:
            tamper(
                "UPDATE audit_auditevent SET reason = %s, prev_hash = %s, content_hash = %s, hash = %s WHERE seq = %s",
                values,
            )


def cut(schema: str, *, after: int) -> None:
    """What the database owner can do: delete the events after `after`."""
    with schema_context(schema):
        tamper("DELETE FROM audit_auditevent WHERE seq > %s", [after])


# -- verify holds the trail against its anchors ---------------------------------------------


def test_an_untouched_trail_with_its_anchors_verifies(db):
    events("school_a", 3)
    first = anchor_write(schema="school_a", reason="hourly")
    events("school_a", 2)
    second = anchor_write(schema="school_a", reason="hourly")

    assert first.seq + 2 == second.seq == head("school_a")[0]
    status, output = verify("--school", SCHOOL_A)
    assert status == 0, output
    assert f"chain intact; 2 anchors agree, the newest at event {second.seq} of {second.when}" in output


def test_a_trail_with_no_anchor_yet_verifies_and_says_so(db):
    status, output = verify("--school", SCHOOL_A)
    assert status == 0
    assert "chain intact; no anchors yet" in output


def test_a_trail_the_owner_rechained_verifies_alone_but_not_against_its_anchors(owner_db, db):
    events("school_a", 3)
    before = anchor_write(schema="school_a", reason="hourly")
    events("school_a", 3)
    after = anchor_write(schema="school_a", reason="hourly")

    rechain("school_a", seq=after.seq - 1, reason="nota a fost mărită")

    with schema_context("school_a"):
        assert chain_report().intact  # the chain alone cannot tell
    status, output = verify("--school", SCHOOL_A)
    assert status == 1
    assert f"school-a: BROKEN: re-chained: event {after.seq}'s hash differs from the anchor of {after.when}" in output
    assert f"event {before.seq}'s" not in output  # the earlier anchor still agrees
    assert "1 of 1 audit chains are broken" in output


def test_deleting_the_newest_events_is_reported_as_a_deleted_tail(owner_db, db):
    events("school_a", 5)
    anchor = anchor_write(schema="school_a", reason="hourly")

    cut("school_a", after=anchor.seq - 3)

    with schema_context("school_a"):
        assert chain_report().intact
    status, output = verify("--school", SCHOOL_A)
    assert status == 1
    assert f"BROKEN: events {anchor.seq - 2}..{anchor.seq} deleted since the anchor of {anchor.when}" in output


def test_deleted_events_replaced_by_others_are_reported_as_re_chained(owner_db, db):
    events("school_a", 5)
    anchor = anchor_write(schema="school_a", reason="hourly")

    cut("school_a", after=anchor.seq - 3)
    events("school_a", 4, note="altă poveste")

    status, output = verify("--school", SCHOOL_A)
    assert status == 1
    assert f"re-chained: event {anchor.seq}'s hash differs from the anchor of {anchor.when}" in output
    assert "deleted" not in output


def test_an_altered_anchor_is_reported(db, settings):
    events("school_a", 2)
    anchor = anchor_write(schema="school_a", reason="hourly")
    path = stored(anchor.key, settings)
    document = json.loads(path.read_text())
    path.write_text(json.dumps({**document, "hash": "0" * 64}))

    status, output = verify("--school", SCHOOL_A)
    assert status == 1
    assert f"BROKEN: anchor {anchor.key} is forged or altered: its HMAC does not verify" in output


def test_an_anchor_made_with_another_key_is_reported_even_when_it_agrees(db, settings):
    events("school_a", 2)
    configured = settings.AUDIT_ANCHOR_KEY
    settings.AUDIT_ANCHOR_KEY = OTHER_KEY
    forged = anchor_write(schema="school_a", reason="hourly")
    settings.AUDIT_ANCHOR_KEY = configured

    status, output = verify("--school", SCHOOL_A)
    assert status == 1
    assert f"anchor {forged.key} is forged or altered" in output


def test_an_anchor_moved_or_copied_from_another_schema_is_reported(db, settings):
    events("school_a", 1)
    events("school_b", 1)
    own = anchor_write(schema="school_a", reason="hourly")
    other = anchor_write(schema="school_b", reason="hourly")
    copied = anchor_prefix("school_a") + "20990101T000000.000000Z-1.json"
    stored(copied, settings).write_bytes(stored(other.key, settings).read_bytes())
    moved = own.key.replace(".json", "-mutat.json")
    stored(own.key, settings).rename(stored(moved, settings))

    status, output = verify("--school", SCHOOL_A)
    assert status == 1
    assert f"anchor {copied} is an anchor of another schema (school_b)" in output
    assert f"anchor {moved} was moved: it anchors event {own.seq} of {own.when}" in output


def test_verify_covers_the_control_plane_too(owner_db, db):
    with schema_context("public"), transaction.atomic():
        audit_record(action=Action.LOGIN)
    anchor = anchor_write(schema="public", reason="hourly")
    cut("public", after=anchor.seq - 1)

    status, output = verify("--control-plane")
    assert status == 1
    assert f"control plane: BROKEN: event {anchor.seq} deleted since the anchor of {anchor.when}" in output


def test_verify_says_so_when_the_anchors_cannot_be_read(db, settings):
    settings.BACKUP_S3_ENDPOINT = f"http://127.0.0.1:{free_port()}"
    status, output = verify("--school", SCHOOL_A)
    assert status == 1
    assert "school-a: " in output and "chain intact; anchors not checked:" in output
    assert "The anchors of 1 could not be read." in output


def test_the_first_differing_anchor_is_named_and_the_others_counted():
    at = datetime(2026, 11, 3, 10, 5, tzinfo=UTC)
    anchors = [Anchor(schema="s", seq=seq, hash=f"{seq:064x}", anchored_at=at, reason="hourly") for seq in (3, 6, 9)]
    [said] = contradictions(anchors, stored={3: f"{3:064x}", 6: "f" * 64, 9: "e" * 64}, last_seq=9)
    assert said == "re-chained: event 6's hash differs from the anchor of 2026-11-03 10:05:00 UTC" + (
        " (and a later anchor disagrees too)"
    )
    assert contradictions(anchors, stored={3: f"{3:064x}"}, last_seq=4) == [
        "events 5..9 deleted since the anchor of 2026-11-03 10:05:00 UTC"
    ]
    assert contradictions(anchors, stored={3: f"{3:064x}", 9: f"{9:064x}"}, last_seq=9) == [
        "event 6 is missing, anchored on 2026-11-03 10:05:00 UTC"
    ]


# -- writing ----------------------------------------------------------------------------------


def test_an_anchor_is_skipped_when_the_head_has_not_moved_and_the_skip_is_confirmed(db):
    events("school_a", 1)
    first = anchor_write(schema="school_a", reason="hourly")
    assert anchor_write(schema="school_a", reason="hourly") is None
    row = AuditAnchor.objects.get(schema="school_a")
    assert (row.seq, row.hash, row.anchored_at) == (first.seq, first.hash, first.anchored_at)
    assert row.confirmed_at > row.anchored_at
    assert anchor_keys("school_a") == [first.key]


def test_a_row_rewritten_through_the_database_does_not_stop_the_next_anchor(db):
    events("school_a", 1)
    anchor_write(schema="school_a", reason="hourly")
    events("school_a", 1)
    seq, digest = head("school_a")
    AuditAnchor.objects.filter(schema="school_a").update(seq=seq, hash=digest)  # "already anchored"

    written = anchor_write(schema="school_a", reason="hourly")

    assert written is not None and written.seq == seq
    assert len(anchor_keys("school_a")) == 2


def test_a_new_storage_gets_an_anchor_at_once(db, settings, tmp_path):
    events("school_a", 1)
    anchor_write(schema="school_a", reason="hourly")
    settings.BACKUP_LOCAL_DIR = tmp_path / "elsewhere"
    assert anchor_write(schema="school_a", reason="hourly") is not None
    assert len(anchor_keys("school_a")) == 1


def test_anchors_in_s3_are_never_replaced_and_verify(db, s3):
    events("school_a", 1)
    anchor = anchor_write(schema="school_a", reason="hourly")
    storage = backup_storage()
    with pytest.raises(StorageError, match="PreconditionFailed"):
        storage.put_new(anchor.key, b"{}")
    assert json.loads(storage.get(anchor.key))["seq"] == anchor.seq
    status, output = verify("--school", SCHOOL_A)
    assert status == 0, output
    assert "1 anchor agrees" in output


def test_an_anchor_in_a_folder_is_never_replaced(tmp_path):
    storage = LocalFolderStorage(tmp_path)
    storage.put_new("catedra/anchors/s/a.json", b"1")
    with pytest.raises(StorageError, match="exists already"):
        storage.put_new("catedra/anchors/s/a.json", b"2")
    assert storage.get("catedra/anchors/s/a.json") == b"1"
    assert storage.keys("catedra/anchors/") == ["catedra/anchors/s/a.json"]


# -- when anchors are written -----------------------------------------------------------------


@pytest.fixture
def eager():
    from catedra.celery_app import app

    app.conf.task_always_eager = True  # the dispatched jobs run here, at once
    yield
    app.conf.task_always_eager = False


def test_the_hourly_job_anchors_every_schema_once_and_nothing_that_has_not_moved(db, eager):
    with schema_context("public"), transaction.atomic():
        audit_record(action=Action.LOGIN)  # the control plane's trail is not empty
    schemas = schemas_to_anchor()
    assert {"public", "school_a", "school_b"} <= set(schemas) and "_template" not in schemas

    assert audit_anchors_dispatch.apply().get() == len(schemas)
    connection.set_schema_to_public()
    first = anchor_keys()
    assert Counter(key.split("/")[-2] for key in first) == dict.fromkeys(schemas, 1)

    audit_anchors_dispatch.apply()
    connection.set_schema_to_public()
    assert anchor_keys() == first

    events("school_a", 1)
    audit_anchors_dispatch.apply()
    connection.set_schema_to_public()
    [new] = set(anchor_keys()) - set(first)
    assert new.startswith(anchor_prefix("school_a"))


def test_beat_runs_the_anchoring_every_hour(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["audit-anchors"]
    assert entry["task"] == "ops.tasks.audit_anchors_dispatch"
    assert entry["schedule"].minute == {5} and len(entry["schedule"].hour) == 24


@pytest.mark.slow
def test_a_full_and_an_incremental_backup_each_anchor_the_schools_chain(real_db, backup_db, settings):
    school = School.objects.get(slug=SCHOOL_A)
    full = backup_full_run(school=school)
    [first] = anchor_keys("school_a")
    assert json.loads(stored(first, settings).read_text())["reason"] == f"full backup #{full.pk}"
    assert json.loads(stored(first, settings).read_text())["seq"] == head("school_a")[0]

    backup_incremental_run(school=school)  # nothing moved since: no second anchor
    assert anchor_keys("school_a") == [first]
    events("school_a", 1)
    incremental = backup_incremental_run(school=school)

    [second] = set(anchor_keys("school_a")) - {first}
    assert json.loads(stored(second, settings).read_text())["reason"] == f"incremental backup #{incremental.pk}"
    assert verify("--school", SCHOOL_A)[0] == 0


@pytest.mark.slow
def test_a_backup_stands_when_its_anchor_cannot_be_written(real_db, settings, caplog):
    settings.AUDIT_ANCHOR_KEY = "not a key"
    school = School.objects.get(slug=SCHOOL_A)
    with caplog.at_level(logging.ERROR, logger="catedra.anchors"):
        full = backup_full_run(school=school)
    assert full.status == Backup.Status.DONE
    assert anchor_keys("school_a") == []
    assert "audit chain of school_a not anchored after backup" in caplog.text
