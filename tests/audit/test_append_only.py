"""The database itself refuses to change or remove audit events, in every schema:
public, the template, the test schools and a school provisioned now."""

import pytest
from django.db import DatabaseError, connection, transaction
from django_tenants.utils import schema_context

from audit.actions import Action
from audit.models import AuditEvent
from audit.services import audit_context, audit_record
from catedra.database import owner_default_connection
from provisioning.services import school_provision
from tenants.schemas import TEMPLATE_SCHEMA
from tests.backup_fixtures import school_remove
from tests.provisioning.test_console import NEW_SCHOOL

REFUSED = [
    "UPDATE audit_auditevent SET reason = 'rescris'",
    "DELETE FROM audit_auditevent",
    "TRUNCATE audit_auditevent",
    "TRUNCATE audit_auditevent CASCADE",
]


def assert_append_only(schema: str, *, refusal: str = "permission denied") -> None:
    with schema_context(schema):
        audit_record(action=Action.LOGIN, reason="primul")
        for statement in REFUSED:
            with pytest.raises(DatabaseError, match=refusal), transaction.atomic(), connection.cursor() as c:
                c.execute(statement)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM audit_auditevent WHERE reason = 'rescris'")
            assert cursor.fetchone()[0] == 0


@pytest.mark.parametrize("schema", ["public", "school_a", TEMPLATE_SCHEMA])
def test_update_delete_and_truncate_of_audit_events_fail(db, schema):
    assert_append_only(schema)


@pytest.mark.parametrize("schema", ["public", "school_a", TEMPLATE_SCHEMA])
def test_the_triggers_refuse_them_even_to_the_owner(owner_db, db, schema):
    assert_append_only(schema, refusal="append-only")


def test_a_freshly_provisioned_school_has_the_same_protection(real_db):
    school = school_provision(requested_by="tests", **NEW_SCHOOL)
    try:
        assert_append_only(school.schema_name)
        with owner_default_connection():
            assert_append_only(school.schema_name, refusal="append-only")
    finally:
        school_remove(school)


def test_events_are_numbered_and_chained_by_the_database_whatever_the_owner_sends(owner_db, db):
    with schema_context("school_a"):
        audit_record(action=Action.LOGIN)
        audit_record(action=Action.LOGOUT)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO audit_auditevent (seq, prev_hash, hash, content_hash, occurred_at, actor_kind, action,"
                " object_type, object_id, person_name, actor_name, actor_roles, old_values, new_values, reason,"
                " request_id, ip, source) VALUES (1, 'x', 'y', 'z', now(), 'system', 'forged', '', '', '', '', '',"
                " '{}', '{}', '', '', '', 'job') RETURNING seq, prev_hash"
            )
            forged_seq, forged_prev = cursor.fetchone()
            cursor.execute("SELECT seq, hash, action FROM audit_auditevent ORDER BY seq DESC LIMIT 3")
            (_s, _h, forged), (seq2, hash2, second), (seq1, _hash1, first) = cursor.fetchall()
    assert (first, second, forged) == (Action.LOGIN, Action.LOGOUT, "forged")
    assert seq2 == seq1 + 1
    assert (forged_seq, forged_prev) == (seq2 + 1, hash2)


def test_an_event_rides_with_the_next_statement_and_a_rollback_takes_it_away(db):
    with schema_context("school_a"):
        before = AuditEvent.objects.count()
        with transaction.atomic():
            audit_record(action=Action.LOGIN, reason="rămâne")
            with pytest.raises(RuntimeError), transaction.atomic():
                audit_record(action=Action.LOGIN, reason="dispare")
                raise RuntimeError
        assert list(AuditEvent.objects.order_by("seq").values_list("reason", flat=True))[before:] == ["rămâne"]
        with transaction.atomic():
            audit_record(action=Action.LOGIN, reason="50% din note")  # a % next to the driver's own %s
            assert AuditEvent.objects.filter(reason__startswith="50%").count() == 1


def test_riders_survive_the_history_context_and_a_percent_sign(db):
    with schema_context("school_a"), audit_context(reason="corecție"), transaction.atomic():
        audit_record(action=Action.LOGIN, reason="50% din note")
        assert AuditEvent.objects.filter(reason="50% din note").count() == 1
        audit_record(action=Action.LOGOUT, reason="100%")
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM audit_auditevent WHERE reason LIKE %s", ["100%%"])
            assert cursor.fetchone()[0] == 1


def test_a_school_is_made_inside_a_jobs_audit_context(db):
    """As the Celery task and the CLI run it: the history context must not break the DDL."""
    from provisioning.models import ProvisioningJob
    from provisioning.services import school_provision_request
    from provisioning.tasks import provision_school

    job = school_provision_request(requested_by="tests", **{**NEW_SCHOOL, "slug": "scoala-din-job"})
    provision_school(job.pk)
    job.refresh_from_db()
    assert job.state == ProvisioningJob.State.SUCCEEDED, job.error
    with schema_context(job.school.schema_name):
        made = AuditEvent.objects.get(action=Action.USER_CREATED)
    assert (made.actor_kind, made.actor_name, made.source) == ("job", "job", "job")


@pytest.mark.parametrize(
    "text",
    [
        "O'Brien",
        "a\\\\'; DROP TABLE audit_auditevent; --",
        "$$ $tag$ \\x27",
        "linia 1\nlinia 2\t",
        "ăîșțâ ĂÎȘȚÂ 🙂",
        "nul\x00l",
    ],
)
def test_any_text_reaches_the_audit_row_exactly_as_given(db, text):
    with schema_context("school_a"):
        audit_record(
            action=Action.LOGIN, actor=f"job:{text}", object_type="x", object_id=text, reason=text,
            new={"valoare": text, text: 1},
        )  # fmt: skip
        event = AuditEvent.objects.latest("seq")
    clean = text.replace("\x00", "")
    assert (event.reason, event.new_values) == (clean.strip(), {"valoare": clean, clean: 1})
    assert (event.actor_name, event.object_id) == (f"job:{clean}", clean)
    with schema_context("school_a"):
        from audit.selectors import chain_report

        assert chain_report().intact


def test_an_event_lands_in_the_schema_it_was_recorded_in_even_across_a_switch(db):
    """The insert travels with the next statement, which may be the one that switches schemas."""
    with schema_context("school_a"), connection.cursor() as cursor:
        cursor.execute("SELECT 1")  # the server's search_path is now school A's
    with schema_context("school_b"):
        audit_record(action=Action.LOGIN, reason="doar în B")
    with schema_context("school_a"):
        assert not AuditEvent.objects.filter(reason="doar în B").exists()
    with schema_context("school_b"):
        assert AuditEvent.objects.filter(reason="doar în B").exists()
