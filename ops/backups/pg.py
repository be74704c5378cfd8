"""PostgreSQL plumbing for backups: connections of their own (never Django's, which
carries a school's search_path and the test transaction), stable text output for row
digests, the client programs, and per-table digests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import environ
import psycopg
from django.conf import settings
from django.db import connection
from psycopg import sql

from catedra import database
from tenants.schemas import pg_bin_dir, pg_dump_environment

# Names a backup may create or drop: a school's schema, or one of our scratch schemas.
_SCHEMA = re.compile(r"[a-z_][a-z0-9_]{0,62}")
# Row text must not depend on the session: both sides of a comparison use these.
SESSION = (
    "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres';"
    " SET extra_float_digits = 3; SET bytea_output = 'hex'; SET search_path = pg_catalog"
)


# Newer client programs guard plain output with psql meta-commands; they are not SQL.
_META = re.compile(r"^\\(un)?restrict .*$", re.MULTILINE)


def strip_meta(text: str) -> str:
    return _META.sub("", text)


class SchemaNameError(ValueError):
    pass


def checked_schema(name: str) -> str:
    if not _SCHEMA.fullmatch(name or "") or name in ("public", "information_schema") or name.startswith("pg_"):
        raise SchemaNameError(f"not a schema a backup may touch: {name!r}")
    return name


def live_params() -> dict[str, str]:
    """Connection parameters of the main database (as Django connects to it: the runtime
    role, which reads every table). For reading: dumps, digests, incremental copies."""
    return _params(connection.settings_dict)


def owner_params() -> dict[str, str]:
    """The main database as its owner: restores make, rename and drop schemas (DDL)."""
    return database.owner_params()


def backup_params() -> dict[str, str]:
    """Connection parameters of the backup database (BACKUP_DATABASE_URL)."""
    if not settings.BACKUP_DATABASE_URL:
        raise psycopg.OperationalError("BACKUP_DATABASE_URL is not set")
    config = environ.Env.db_url_config(settings.BACKUP_DATABASE_URL)
    if socket_dir := config.get("OPTIONS", {}).pop("host", None):
        config["HOST"] = socket_dir
    return _params(config)


def _params(config) -> dict[str, str]:
    params = {"dbname": config["NAME"], "user": config.get("USER") or ""}
    for ours, theirs in (("password", "PASSWORD"), ("host", "HOST"), ("port", "PORT")):
        if config.get(theirs):
            params[ours] = str(config[theirs])
    return params


@contextmanager
def connect(params: dict[str, str], *, autocommit: bool = False, create: bool = False) -> Iterator[psycopg.Connection]:
    """A connection with the stable session settings; `create` makes a missing database."""
    try:
        conn = psycopg.connect(**params, autocommit=autocommit, connect_timeout=10)
    except psycopg.OperationalError as exc:
        if not (create and "does not exist" in str(exc)):
            raise
        with psycopg.connect(**{**params, "dbname": "postgres"}, autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(params["dbname"])))
        conn = psycopg.connect(**params, autocommit=autocommit, connect_timeout=10)
    try:
        conn.execute(SESSION)
        if not autocommit:
            conn.commit()  # the settings stay for the session; the next transaction starts clean
        yield conn
    finally:
        conn.close()


def program(name: str) -> str:
    return str(Path(pg_bin_dir()) / name)


def program_args(params: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """Connection arguments and environment for pg_dump / pg_restore."""
    args = [f"--dbname={params['dbname']}", f"--username={params['user']}"]
    if params.get("host"):
        args.append(f"--host={params['host']}")
    if params.get("port"):
        args.append(f"--port={params['port']}")
    env = pg_dump_environment()
    if params.get("password"):
        env["PGPASSWORD"] = params["password"]
    return args, env


def schema_exists(conn: psycopg.Connection, schema: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema]).fetchone() is not None


# A row is hashed from its typed values (hash_record_extended, which hash partitioning
# relies on, so stable across servers and versions) when every column's type is one whose
# equal values always print alike; otherwise from its text (md5). Exact numerics only with
# a scale (1.0 and 1.00 hash alike but print differently); no floating point (-0 and 0).
_HASHABLE = re.compile(
    r"(bigint|integer|smallint|boolean|text|uuid|jsonb|date|bytea|inet|interval"
    r"|character varying(\(\d+\))?|character(\(\d+\))?|numeric\(\d+,\d+\)"
    r"|time(stamp)?(\(\d\))? with(out)? time zone)(\[\])?"
)
# A table's digest says how it was computed: "h1:<sum>:<sum>" (sums of two 64-bit hashes of
# its rows, seeds 0 and 1: no text, no sort), or, recorded by earlier versions and for
# tables of other types, the md5 of its rows' sorted md5s. A recorded digest is compared
# with one computed the same way.
HASHED = "h1:"


def hashable(types: list[str] | tuple[str, ...]) -> bool:
    """Whether rows with columns of these types (format_type) are hashed from their values."""
    return all(_HASHABLE.fullmatch(kind) for kind in types)


def table_digest(conn: psycopg.Connection, schema: str, table: str, *, hashed: bool) -> dict[str, object]:
    """Row count and a digest of the rows, independent of their physical order."""
    relation = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))
    if hashed:
        rows, first, second = conn.execute(
            sql.SQL(
                "SELECT count(*), coalesce(sum(hash_record_extended(t, 0)), 0),"
                " coalesce(sum(hash_record_extended(t, 1)), 0) FROM {} AS t"
            ).format(relation)
        ).fetchone()
        return {"rows": rows, "digest": f"{HASHED}{first}:{second}"}
    rows, digest = conn.execute(
        sql.SQL(
            "SELECT count(*), coalesce(md5(string_agg(h, '' ORDER BY h)), '')"
            " FROM (SELECT md5(t::text) AS h FROM {} AS t) AS hashed"
        ).format(relation)
    ).fetchone()
    return {"rows": rows, "digest": digest}


def table_digests(
    conn: psycopg.Connection, schema: str, *, like: dict[str, dict] | None = None
) -> dict[str, dict[str, object]]:
    """Every table's digest: computed as the one recorded in `like` was, where it has the
    table; otherwise hashed from values where the table's types allow."""
    digests = {}
    for table, types in column_types(conn, schema).items():
        recorded = (like or {}).get(table)
        hashed = hashable(types) and (recorded is None or str(recorded.get("digest", "")).startswith(HASHED))
        digests[table] = table_digest(conn, schema, table, hashed=hashed)
    return digests


# The relations of one schema, through pg_depend's index on what belongs to its namespace
# (pg_class has no index on the namespace alone: filtering it by schema reads the rows of
# every school). Takes the schema's name as the parameter `schema`.
SCHEMA_RELATIONS = sql.SQL(
    "(SELECT c.* FROM pg_depend d JOIN pg_class c ON c.oid = d.objid"
    " WHERE d.refclassid = 'pg_namespace'::regclass AND d.deptype = 'n' AND d.classid = 'pg_class'::regclass"
    " AND d.refobjid = (SELECT oid FROM pg_namespace WHERE nspname = %(schema)s))"
)


def column_types(conn: psycopg.Connection, schema: str) -> dict[str, list[str]]:
    """{table: its columns' types} for every base table of `schema`."""
    rows = conn.execute(
        sql.SQL(
            "SELECT c.relname, coalesce(array_agg(format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum)"
            " FILTER (WHERE a.attnum > 0), '{{}}') FROM {} AS c"
            " LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
            " WHERE c.relkind IN ('r', 'p') GROUP BY c.relname ORDER BY c.relname"
        ).format(SCHEMA_RELATIONS),
        {"schema": schema},
    ).fetchall()
    return dict(rows)


def sequence_values(conn: psycopg.Connection, schema: str) -> dict[str, int]:
    """{sequence: its last value} of the sequences of `schema` that have given one."""
    rows = conn.execute(
        sql.SQL(
            "SELECT name, value FROM (SELECT c.relname, CASE c.relkind WHEN 'S' THEN pg_sequence_last_value(c.oid)"
            " END FROM {} AS c WHERE c.relkind = 'S') AS s (name, value) WHERE value IS NOT NULL ORDER BY name"
        ).format(SCHEMA_RELATIONS),
        {"schema": schema},
    ).fetchall()
    return dict(rows)


def drop_schema(conn: psycopg.Connection, schema: str) -> None:
    conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(checked_schema(schema))))
