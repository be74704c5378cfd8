"""The application's own login (the runtime role) cannot undo the audit trail: it owns
nothing, so it can neither switch off nor drop the triggers that protect it, nor write the
event table except through audit_append(). Tests run as that role (tests/conftest.py)."""

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django_tenants.utils import schema_context

from audit.actions import Action
from audit.selectors import chain_report
from audit.services import audit_record
from catedra.database import (
    history_event_tables,
    owner_connection,
    owner_role,
    runtime_grants_apply,
    runtime_grants_missing,
    runtime_role,
)
from provisioning.services import school_provision
from tenants.schemas import TEMPLATE_SCHEMA
from tests.backup_fixtures import school_remove
from tests.helpers import clean_env, run_catedra
from tests.provisioning.test_console import NEW_SCHOOL

REFUSED = [
    "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only",
    "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL",
    "DROP TRIGGER audit_event_append_only ON audit_auditevent",
    "DROP TRIGGER audit_event_chain ON audit_auditevent",
    "DROP TABLE audit_auditevent",
    "DROP FUNCTION audit_event_refuse() CASCADE",
    "CREATE OR REPLACE FUNCTION audit_event_refuse() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END'",
    "UPDATE audit_auditevent SET reason = 'rescris'",
    "DELETE FROM audit_auditevent",
    "TRUNCATE audit_auditevent",
    "INSERT INTO audit_auditevent (seq, prev_hash, hash, content_hash, occurred_at, actor_kind, action,"
    " object_type, object_id, person_name, actor_name, actor_roles, old_values, new_values, reason,"
    " request_id, ip, source) VALUES (1, 'x', 'y', 'z', now(), 'system', 'forged', '', '', '', '', '',"
    " '{}', '{}', '', '', '', 'job')",
    "CREATE TABLE audit_shadow (id int)",
    "ALTER TABLE accounts_user DISABLE TRIGGER ALL",
]


def refused(statement: str) -> None:
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)


def test_the_tests_run_as_a_runtime_role_that_is_not_the_owner(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")
        user, superuser = cursor.fetchone()
    assert user == runtime_role() != owner_role()
    assert not superuser


@pytest.mark.parametrize("statement", REFUSED)
@pytest.mark.parametrize("schema", ["school_a", "public", TEMPLATE_SCHEMA])
def test_the_runtime_role_cannot_touch_the_audit_trail_or_the_structure(db, schema, statement):
    with schema_context(schema):
        audit_record(action=Action.LOGIN, reason="înainte")
        refused(statement)


@pytest.mark.parametrize("statement", ["UPDATE {table} SET pgh_label = 'rescris'", "DELETE FROM {table}"])
def test_row_history_cannot_be_changed_or_removed(db, statement):
    tables = history_event_tables()
    assert "accounts_userevent" in tables
    with schema_context("school_a"):
        for table in tables:
            refused(statement.format(table=table))
            refused(f"TRUNCATE {table}")


def test_the_runtime_role_owns_no_schema_table_or_function(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM pg_class WHERE relowner = current_user::regrole),"
            " (SELECT count(*) FROM pg_namespace WHERE nspowner = current_user::regrole),"
            " (SELECT count(*) FROM pg_proc WHERE proowner = current_user::regrole),"
            " (SELECT count(*) FROM pg_type WHERE typowner = current_user::regrole)"
        )
        assert cursor.fetchone() == (0, 0, 0, 0)


def test_audit_append_runs_as_its_owner_with_a_fixed_search_path(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname, p.prosecdef, p.proconfig, pg_get_userbyid(p.proowner) FROM pg_proc p"
            " JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.proname = 'audit_append' ORDER BY 1"
        )
        functions = cursor.fetchall()
    assert {schema for schema, *_rest in functions} >= {"public", TEMPLATE_SCHEMA, "school_a", "school_b"}
    for _schema, definer, config, owner in functions:
        assert definer
        assert config == ["search_path=pg_catalog, pg_temp"]
        assert owner == owner_role()


def test_events_appended_by_the_runtime_role_chain_and_verify(db):
    with schema_context("school_a"):
        for n in range(3):
            audit_record(action=Action.LOGIN, new={"n": n})
        report = chain_report()
    assert report.intact, report


def grants(schema: str) -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, privilege_type FROM information_schema.role_table_grants"
            " WHERE table_schema = %s AND grantee = %s",
            [schema, runtime_role()],
        )
        return set(cursor.fetchall())


def test_a_school_provisioned_now_gives_the_runtime_role_what_the_template_gives(real_db):
    school = school_provision(requested_by="tests", **{**NEW_SCHOOL, "slug": "scoala-cu-drepturi"})
    try:
        template, fresh = grants(TEMPLATE_SCHEMA), grants(school.schema_name)
        assert fresh == template
        assert ("accounts_user", "UPDATE") in fresh
        assert ("audit_auditevent", "SELECT") in fresh
        assert not {privilege for table, privilege in fresh if table == "audit_auditevent"} - {"SELECT"}
        assert not {privilege for table, privilege in fresh if table == "accounts_userevent"} - {"SELECT", "INSERT"}
        with schema_context(school.schema_name):
            refused("ALTER TABLE audit_auditevent DISABLE TRIGGER ALL")
    finally:
        school_remove(school)


def test_production_refuses_an_owner_login_that_is_the_runtime_login():
    env = clean_env(
        CATEDRA_ENV="production", DATABASE_URL=settings.DATABASE_URL, DATABASE_OWNER_URL=settings.DATABASE_URL
    )
    result = run_catedra("check", "--deploy", env=env)
    assert result.returncode != 0
    assert "DATABASE_OWNER_URL has the same user as DATABASE_URL" in result.stderr


def test_production_requires_an_owner_login():
    result = run_catedra("check", "--deploy", env=clean_env(CATEDRA_ENV="production"))
    assert result.returncode != 0
    assert "DATABASE_OWNER_URL is not set" in result.stderr


def test_a_table_a_migration_adds_is_found_ungranted_and_granted_once(real_db):
    """`catedra migrate` gives grants only where a table lacks them (a no-op migrate of thousands
    of schools pays one catalog query each); a new table is found and granted."""
    with owner_connection(autocommit=True) as conn, conn.cursor() as cursor:
        cursor.execute("CREATE SCHEMA grants_probe")
        try:
            cursor.execute("CREATE TABLE grants_probe.made_by_a_migration (id int)")
            assert runtime_grants_missing(cursor, "grants_probe")
            runtime_grants_apply(cursor, "grants_probe")
            assert not runtime_grants_missing(cursor, "grants_probe")
            cursor.execute("CREATE SEQUENCE grants_probe.next_number")
            assert runtime_grants_missing(cursor, "grants_probe")
        finally:
            cursor.execute("DROP SCHEMA grants_probe CASCADE")
