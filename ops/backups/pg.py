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

from provisioning.schemas import pg_bin_dir, pg_dump_environment

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
    """Connection parameters of the main database (as Django connects to it)."""
    return _params(connection.settings_dict)


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


def base_tables(conn: psycopg.Connection, schema: str) -> list[str]:
    rows = conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = %s AND c.relkind IN ('r', 'p') ORDER BY c.relname",
        [schema],
    ).fetchall()
    return [name for (name,) in rows]


def table_digest(conn: psycopg.Connection, schema: str, table: str) -> dict[str, object]:
    """Row count and a digest of the rows' text, independent of their physical order."""
    rows, digest = conn.execute(
        sql.SQL(
            "SELECT count(*), coalesce(md5(string_agg(h, '' ORDER BY h)), '')"
            " FROM (SELECT md5(t::text) AS h FROM {}.{} AS t) AS hashed"
        ).format(sql.Identifier(schema), sql.Identifier(table))
    ).fetchone()
    return {"rows": rows, "digest": digest}


def table_digests(conn: psycopg.Connection, schema: str) -> dict[str, dict[str, object]]:
    return {table: table_digest(conn, schema, table) for table in base_tables(conn, schema)}


def drop_schema(conn: psycopg.Connection, schema: str) -> None:
    conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(checked_schema(schema))))
