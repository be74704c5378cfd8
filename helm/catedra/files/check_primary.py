# ruff: noqa: INP001 - a script the chart mounts into the migrations job, not a module
"""Refuse to migrate Catedra onto a PostgreSQL primary that does not replicate synchronously.

Order 3896/2023 art. 7 asks for every write to be on two servers when it is confirmed
(docs/operations.md). The chart's migrations job runs this first, so an install or
upgrade against an asynchronous or stand-alone server fails before anything changes.

Reads DATABASE_URL (or DATABASE_URL_FILE) as the application does. With
CATEDRA_REQUIRE_CONNECTED_STANDBY=1 a synchronous standby must also be streaming now
(pg_stat_replication; the role needs pg_monitor to read it). Exit 0, or 1 with the reasons.
"""

import os
import sys
from pathlib import Path

import psycopg

# synchronous_commit values that return before a standby has the commit.
NOT_WAITING = {"off", "local"}


def database_url() -> str:
    if path := os.environ.get("DATABASE_URL_FILE"):
        return Path(path).read_text().strip()
    return os.environ["DATABASE_URL"]


def problems(conn: psycopg.Connection, *, require_connected: bool) -> list[str]:
    """What keeps commits on this server from waiting for a synchronous standby."""
    found = []
    if conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
        found.append("the server is a standby (in recovery): DATABASE_URL must name the primary")
    names = conn.execute("SHOW synchronous_standby_names").fetchone()[0].strip()
    commit = conn.execute("SHOW synchronous_commit").fetchone()[0]
    if not names:
        found.append("synchronous_standby_names is empty: commits do not wait for any standby")
    if commit in NOT_WAITING:
        found.append(f"synchronous_commit is {commit!r} for this role: commits do not wait for the standby")
    if require_connected and names:
        rows = conn.execute("SELECT state, sync_state FROM pg_stat_replication").fetchall()
        if any(state is None for state, _sync in rows):
            found.append("pg_stat_replication is not readable: GRANT pg_monitor TO the application's role")
        elif not any(state == "streaming" and sync in ("sync", "quorum") for state, sync in rows):
            found.append(f"no synchronous standby is streaming (synchronous_standby_names = {names!r})")
    return found


def main() -> int:
    require_connected = os.environ.get("CATEDRA_REQUIRE_CONNECTED_STANDBY", "1") == "1"
    with psycopg.connect(database_url(), connect_timeout=15) as conn:
        found = problems(conn, require_connected=require_connected)
    for problem in found:
        print(f"Refusing to migrate: {problem}.", file=sys.stderr)
    if not found:
        print("The primary waits for a synchronous standby on every commit.")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
