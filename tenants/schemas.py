"""School schemas: slugs and schema names, the migrated template, and new schemas made from it.

A new school's schema is made by replaying the template's DDL (as `pg_dump
--schema-only` prints it, taken once per migration state of the template) under the
new name, then copying the template's reference rows (recorded migrations, content
types, permissions). That is what migrating a new schema would produce, in a fraction
of the time; a test compares the two, object by object.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _
from django_tenants.postgresql_backend.base import is_valid_schema_name
from django_tenants.utils import schema_exists

from catedra.database import owner_connection, owner_params, runtime_grants_sql
from catedra.embedded import pgserver_bin_dir

# A school's slug names its host (<slug>.<base domain>) and, with "_" for "-", its schema.
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])$")
RESERVED_SLUGS = frozenset(
    {"www", "api", "admin", "static", "media", "public", "template", "mail", "smtp", "imap", "app", "status",
     "help", "docs", "catedra", "consola", "console", "backup", "ops", "test", "localhost", "ftp", "cdn"}
)  # fmt: skip

TEMPLATE_SCHEMA = "_template"  # slugs cannot start with "_", so no school can collide
# Identifiers below are never user input: schema names pass _check_school_schema_name,
# table and column names come from the database's own catalog.
_SCHOOL_SCHEMA = re.compile(r"[a-z0-9][a-z0-9_]{0,62}")
_TEMPLATE_REF = re.compile(rf"(?<![\w$]){TEMPLATE_SCHEMA}\.")
# pg_dump's session preamble; the connection's own settings stay as Django left them.
_DROP_LOCK_TIMEOUT = "60s"
_PREAMBLE = re.compile(r"^(SET \w+ = .*|SELECT pg_catalog\.set_config\(.*)$", re.MULTILINE)


class SchemaError(Exception):
    pass


@dataclass(frozen=True)
class TemplateImage:
    """What a new school schema is made of: DDL and the tables whose rows are copied."""

    version: tuple[int, int]
    ddl: str
    tables_with_rows: tuple[str, ...]
    sequence_columns: tuple[tuple[str, str], ...]  # (table, column) of copied tables


_image_cache: dict[str, TemplateImage] = {}


def slug_validate(slug: str) -> None:
    """Raise ValidationError unless `slug` can name a host and a schema."""
    if not SLUG_RE.fullmatch(slug or "") or "--" in slug:
        raise ValidationError(
            _("Identificatorul are 3–40 de caractere: litere mici, cifre și cratime (nu la început sau la sfârșit)."),
            code="slug_format",
        )
    if slug in RESERVED_SLUGS:
        raise ValidationError(_("Identificatorul „%(slug)s” este rezervat.") % {"slug": slug}, code="slug_reserved")


def schema_name_for(slug: str) -> str:
    """A validated slug as a PostgreSQL schema name (hyphens are not allowed there)."""
    return slug.replace("-", "_")


def template_version() -> tuple[int, int]:
    """(number, newest id) of the template's recorded migrations: changes with every migrate."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), coalesce(max(id), 0) FROM {TEMPLATE_SCHEMA}.django_migrations")  # noqa: S608 - identifiers validated or read from the catalog
        count, newest = cursor.fetchone()
    return count, newest


def template_image() -> TemplateImage:
    if not schema_exists(TEMPLATE_SCHEMA):
        raise SchemaError("The template schema does not exist: run `catedra migrate` first.")
    version = template_version()
    cached = _image_cache.get(TEMPLATE_SCHEMA)
    if cached is None or cached.version != version:
        tables = _tables_with_rows()
        cached = TemplateImage(
            version=version,
            ddl=_PREAMBLE.sub("", _dump_template_ddl()),
            tables_with_rows=tables,
            sequence_columns=_sequence_columns(tables),
        )
        _image_cache[TEMPLATE_SCHEMA] = cached
    return cached


def schema_create_from_template(schema_name: str) -> None:
    """Create `schema_name` as a copy of the template (structure and reference rows)."""
    _check_school_schema_name(schema_name)
    if schema_exists(schema_name):
        raise SchemaError(f"Schema {schema_name!r} already exists.")
    image = template_image()
    ddl = _TEMPLATE_REF.sub(f"{schema_name}.", image.ddl)
    ddl = ddl.replace(f"CREATE SCHEMA {TEMPLATE_SCHEMA};", f"CREATE SCHEMA {schema_name};", 1)
    # One batch, one round trip: structure, reference rows, then sequences past those rows.
    rows = [_copy_rows(schema_name, table) for table in image.tables_with_rows]
    sequences = [_advance_sequence(schema_name, table, column) for table, column in image.sequence_columns]
    # DDL is the owner's (catedra.database): the runtime role owns nothing. Its own
    # connection, so the new schema is committed whatever the caller's transaction does.
    with owner_connection() as conn:
        # Statements straight to the driver, no parameters: the DDL's function bodies hold `%I`.
        conn.execute("\n".join([ddl, *rows, *sequences, runtime_grants_sql(schema_name)]))


def schema_drop(schema_name: str) -> None:
    """Drop a school's schema if it exists (never public or the template)."""
    _check_school_schema_name(schema_name)
    # The owner's connection: it waits for any lock a transaction of ours (the caller's,
    # uncommitted) holds in the schema; a bounded wait turns that mistake into an error.
    with owner_connection(autocommit=True) as conn:
        conn.execute(f"SET lock_timeout = '{_DROP_LOCK_TIMEOUT}'")
        conn.execute(f"DROP SCHEMA IF EXISTS {schema_name} CASCADE")


def _check_school_schema_name(schema_name: str) -> None:
    """Only names a slug can produce: never public, the template, or a system schema."""
    if not (
        _SCHOOL_SCHEMA.fullmatch(schema_name or "")
        and is_valid_schema_name(schema_name)
        and schema_name not in ("public", "information_schema")
    ):
        raise SchemaError(f"Not a school schema name: {schema_name!r}")


def _copy_rows(schema_name: str, table: str) -> str:
    return f"INSERT INTO {schema_name}.{table} SELECT * FROM {TEMPLATE_SCHEMA}.{table};"  # noqa: S608 - see above


def _advance_sequence(schema_name: str, table: str, column: str) -> str:
    return (
        f"SELECT setval(pg_get_serial_sequence('{schema_name}.{table}', '{column}'), "  # noqa: S608 - see above
        f"coalesce(max({column}), 1), max({column}) IS NOT NULL) FROM {schema_name}.{table};"
    )


def _sequence_columns(tables: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Identity or serial columns of the template's copied tables."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = %s"
            " AND table_name = ANY(%s) AND (is_identity = 'YES' OR column_default LIKE 'nextval(%%')"
            " ORDER BY table_name, column_name",
            [TEMPLATE_SCHEMA, list(tables)],
        )
        return tuple(cursor.fetchall())


def _tables_with_rows() -> tuple[str, ...]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND table_type = 'BASE TABLE'"
            " ORDER BY table_name",
            [TEMPLATE_SCHEMA],
        )
        tables = [name for (name,) in cursor.fetchall()]
        with_rows = []
        for table in tables:
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {TEMPLATE_SCHEMA}.{table})")  # noqa: S608 - identifiers validated or read from the catalog
            if cursor.fetchone()[0]:
                with_rows.append(table)
    # Referenced tables first: content types before the permissions that point at them.
    order = {"django_migrations": 0, "django_content_type": 1}
    return tuple(sorted(with_rows, key=lambda name: (order.get(name, 2), name)))


def _dump_template_ddl() -> str:
    params = owner_params()
    env = pg_dump_environment()  # the planner setting that keeps pg_dump fast among many schools
    if params.get("password"):
        env["PGPASSWORD"] = params["password"]
    command = [
        str(pg_bin_dir() / "pg_dump"), "--schema-only", "--no-owner", "--no-privileges", "--no-comments",
        f"--schema={TEMPLATE_SCHEMA}", f"--dbname={params['dbname']}", f"--username={params['user']}",
    ]  # fmt: skip
    if params.get("host"):
        command.append(f"--host={params['host']}")
    if params.get("port"):
        command.append(f"--port={params['port']}")
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)  # noqa: S603
    if result.returncode != 0:
        raise SchemaError(f"pg_dump of the template failed: {result.stderr.strip()[:500]}")
    return result.stdout


def pg_dump_environment() -> dict[str, str]:
    """The environment for pg_dump: PostgreSQL 16's pg_dump asks for the dependencies between
    materialized views with a query that, once the catalog holds hundreds of school schemas,
    may be planned as hundreds of full scans of pg_depend (75-130 s per school at 1,000
    schools instead of ~4 s; tests/perf/test_backup_growth.py). Joining in the order the
    query is written avoids it and changes no result."""
    env = dict(os.environ)
    env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} -c join_collapse_limit=1".strip()
    return env


def pg_bin_dir() -> Path:
    """PostgreSQL client programs: CATEDRA_PG_BIN_DIR, or those of the pgserver wheel (16)."""
    if settings.CATEDRA_PG_BIN_DIR:
        return Path(settings.CATEDRA_PG_BIN_DIR)
    return pgserver_bin_dir()
