"""`catedra audit verify` recomputes the chain and names the first event that does not
verify: altered content, an altered hash, a deleted event."""

import io
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django_tenants.utils import schema_context

from accounts.models import User
from audit.actions import Action
from audit.chain import GENESIS, chain_verify, content_hash, json_safe, link_hash
from audit.models import AuditEvent
from audit.selectors import chain_report
from audit.services import audit_record
from provisioning.services import school_provision
from tenants.models import School
from tenants.schemas import schema_drop
from tests.helpers import clean_env, database_env, run_catedra
from tests.provisioning.test_console import NEW_SCHOOL


def verify(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("audit", "verify", *args, stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue() + str(error)
    return 0, out.getvalue()


def tamper(sql: str, params=()) -> None:
    """What only the database owner can do: switch the protection off, change, switch it on."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_append_only")


@pytest.fixture
def five_events(owner_db, db):
    with schema_context("school_a"):
        for n in range(5):
            audit_record(action=Action.LOGIN, new={"n": n, "note": "încercare"})
        return list(AuditEvent.objects.order_by("-seq")[:5])[::-1]


def test_an_intact_chain_verifies_and_the_command_exits_zero(five_events):
    status, output = verify("--school", "school-a")
    assert status == 0
    assert "chain intact" in output


def test_altering_one_event_is_named_by_verify_which_exits_non_zero(five_events):
    third = five_events[2]
    with schema_context("school_a"):
        tamper("UPDATE audit_auditevent SET reason = 'nota a fost mărită' WHERE seq = %s", [third.seq])
    status, output = verify("--school", "school-a")
    assert status == 1
    assert f"BROKEN at event {third.seq}: content altered" in output


def test_rewriting_an_event_and_its_content_hash_breaks_the_link_to_the_next(five_events):
    third = five_events[2]
    with schema_context("school_a"):
        event = AuditEvent.objects.get(pk=third.pk)
        fields = {name: getattr(event, name) for name in ("occurred_at", "actor_kind", "actor_id", "actor_name",
                  "actor_roles", "action", "object_type", "object_id", "person_id", "person_name", "old_values",
                  "new_values", "request_id", "ip", "source")}  # fmt: skip
        forged = content_hash({**fields, "reason": "altă poveste"})
        tamper(
            "UPDATE audit_auditevent SET reason = 'altă poveste', content_hash = %s, hash = %s WHERE seq = %s",
            [forged, link_hash(event.prev_hash, forged), event.pk],
        )
        report = chain_report()
    assert (report.bad_seq, report.problem) == (event.seq + 1, "does not link to the previous event")


def test_a_deleted_event_is_found(five_events):
    with schema_context("school_a"):
        gone = AuditEvent.objects.get(pk=five_events[1].pk)
        tamper("DELETE FROM audit_auditevent WHERE seq = %s", [gone.seq])
        report = chain_report()
    assert report.bad_seq == gone.seq + 1
    assert "missing" in report.problem


def test_verify_covers_every_school_and_the_control_plane(five_events):
    status, output = verify("--all-schools")
    assert status == 0
    assert "school-a:" in output and "school-b:" in output
    assert verify("--control-plane")[0] == 0


def test_verify_refuses_an_unknown_school_with_status_2(db):
    status, output = verify("--school", "nu-exista")
    assert status == 2
    assert "nu-exista" in output


@pytest.mark.slow
def test_the_command_in_a_real_process_exits_zero_on_the_intact_test_schools(db, tmp_path):
    env = clean_env(
        **database_env(), REDIS_URL="redis://127.0.0.1:1/0",
        BACKUP_S3_ENDPOINT="", BACKUP_LOCAL_DIR=str(tmp_path / "offsite"),
    )  # fmt: skip
    result = run_catedra("audit", "verify", "--all-schools", env=env)
    assert result.returncode == 0, result.stderr
    assert "school-a:" in result.stdout


def test_the_hash_of_an_event_is_independent_of_how_jsonb_stores_its_values():
    values = json_safe({"b": 1.5, "a": {"z": None, "y": [3, "ș"]}, "d": {2, 1}})
    assert values == {"b": "1.5", "a": {"z": None, "y": [3, "ș"]}, "d": [1, 2]}
    assert chain_verify([]).intact and chain_verify([]).events == 0
    assert link_hash(GENESIS, "a" * 64) != link_hash(GENESIS, "b" * 64)


@pytest.mark.slow
def test_twenty_concurrent_writers_in_one_school_leave_a_chain_that_verifies(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        school = school_provision(requested_by="tests", **{**NEW_SCHOOL, "slug": "scoala-aglomerata"})
        errors: list[BaseException] = []
        barrier = threading.Barrier(20)

        def writer(n: int) -> None:
            try:
                with schema_context(school.schema_name):
                    barrier.wait()
                    for i in range(10):
                        audit_record(action=Action.LOGIN, new={"writer": n, "i": i})
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                connection.close()

        try:
            threads = [threading.Thread(target=writer, args=(n,)) for n in range(20)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert errors == []
            with schema_context(school.schema_name):
                report = chain_report()
                assert report.intact, report
                assert report.events == AuditEvent.objects.count() == 200 + User.objects.count()
        finally:
            connection.set_schema_to_public()
            schema_drop(school.schema_name)
            school.transitions.all().delete()
            School.objects.filter(pk=school.pk).delete()
