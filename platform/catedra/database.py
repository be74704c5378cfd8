"""The two database roles: the owner (migrations, new schemas, restores) and the runtime
role (web, worker, beat), which owns nothing, so it can neither alter a table nor disable
or drop the triggers that keep the audit trail. See docs/architecture.md, "Database roles".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from django.apps import apps
from django.conf import settings
from django.db import connections

# Audit events are appended only through audit_append() (SECURITY DEFINER, owned by the owner).
AUDIT_EVENT_TABLE = "audit_auditevent"
AUDIT_APPEND = "audit_append(text, text, jsonb)"
_CONNECTION_KEYS = ("USER", "PASSWORD", "HOST", "PORT")


def roles_split() -> bool:
    """Whether the owner and the runtime role are two logins (else grants are moot)."""
    return owner_role() != runtime_role()


def owner_role() -> str:
    return settings.DATABASE_OWNER["USER"] or ""


def runtime_role() -> str:
    # Not read from the connection: owner_default_connection() swaps its credentials.
    return settings.DATABASE_RUNTIME_USER


def history_event_tables() -> list[str]:
    """The tables django-pghistory writes row history into (every tracked model's event).
    Their triggers run as the writer, so the runtime role keeps INSERT on them."""
    # Not at the top: importing a models module needs a ready app registry, and this small
    # module must stay importable before it (by helpers, commands, test set-up).
    import pghistory.models

    return sorted(
        model._meta.db_table
        for model in apps.get_models()
        if issubclass(model, pghistory.models.Event) and not model._meta.abstract and model._meta.managed
    )


def runtime_grants_sql(schema: str) -> str:
    """The statements that give the runtime role what it needs in `schema`, and no more:
    rows of every table but the append-only ones, no DDL (it owns nothing), no CREATE.
    Empty when the owner and the runtime role are the same login."""
    if not roles_split():
        return ""
    role, name = _identifier(runtime_role()), _identifier(schema)
    schema_text, role_text = _literal(schema), _literal(runtime_role())
    history = ", ".join(f"'{table}'" for table in history_event_tables())
    return f"""
GRANT USAGE ON SCHEMA {name} TO {role};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {name} TO {role};
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {name} TO {role};
DO $grants$
DECLARE
    history_table text;
BEGIN
    IF to_regclass(format('%I.%I', {schema_text}, '{AUDIT_EVENT_TABLE}')) IS NOT NULL THEN
        REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {name}.{AUDIT_EVENT_TABLE} FROM {role};
    END IF;
    IF to_regprocedure(format('%I.{AUDIT_APPEND}', {schema_text})) IS NOT NULL THEN
        REVOKE ALL ON FUNCTION {name}.{AUDIT_APPEND} FROM PUBLIC;
        GRANT EXECUTE ON FUNCTION {name}.{AUDIT_APPEND} TO {role};
    END IF;
    FOREACH history_table IN ARRAY ARRAY[{history}]::text[] LOOP
        IF to_regclass(format('%I.%I', {schema_text}, history_table)) IS NOT NULL THEN
            EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %I.%I FROM %I',
                           {schema_text}, history_table, {role_text});
        END IF;
    END LOOP;
END
$grants$;
"""


def runtime_grants_apply(executor, schema: str) -> None:
    """Run runtime_grants_sql(schema) through the owner's psycopg connection or cursor (not
    Django's wrapper: execute wrappers may add parameters, and the SQL holds `%I`)."""
    if statements := runtime_grants_sql(schema):
        executor.execute(statements)


def runtime_grants_missing(executor, schema: str) -> bool:
    """Whether a table or sequence of `schema` is not yet readable by the runtime role (made by
    a migration since the last grants): one catalog query, so a migrate with nothing to apply
    does not pay for the grants of every school."""
    if not roles_split():
        return False
    executor.execute(
        "SELECT NOT has_schema_privilege(%(role)s, %(schema)s, 'USAGE') OR EXISTS ("
        " SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = %(schema)s AND c.relkind IN ('r', 'p', 'S')"
        " AND NOT has_table_privilege(%(role)s, c.oid, 'SELECT'))",
        {"role": runtime_role(), "schema": schema},
    )
    return bool(executor.fetchone()[0])


def owner_params() -> dict[str, str]:
    """psycopg connection parameters of the owner, on the database Django uses now (the
    test database in tests)."""
    config = {**connections["default"].settings_dict, **owner_credentials()}
    params = {"dbname": config["NAME"], "user": config.get("USER") or ""}
    for ours, theirs in (("password", "PASSWORD"), ("host", "HOST"), ("port", "PORT")):
        if config.get(theirs):
            params[ours] = str(config[theirs])
    return params


@contextmanager
def owner_connection(*, autocommit: bool = False) -> Iterator[psycopg.Connection]:
    """A connection of the owner's, for DDL: a new school's schema, a drop, a restore.
    Without autocommit, it commits when the block ends without an error."""
    with psycopg.connect(**owner_params(), autocommit=autocommit, connect_timeout=10) as conn:
        yield conn


@contextmanager
def owner_default_connection() -> Iterator[None]:
    """Django's default connection logs in as the owner for the block (`catedra migrate`,
    the test set-up). Never inside a transaction: the connection is closed on both sides."""
    connection = connections["default"]
    if connection.in_atomic_block:
        raise RuntimeError("The owner's connection cannot be swapped in inside a transaction.")
    saved = {key: connection.settings_dict.get(key) for key in _CONNECTION_KEYS}
    connection.close()
    connection.settings_dict.update(owner_credentials())
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


def owner_credentials() -> dict[str, str]:
    """USER, PASSWORD, HOST and PORT of the owner's login (Django's spelling)."""
    return {key: settings.DATABASE_OWNER.get(key) or "" for key in _CONNECTION_KEYS}


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
