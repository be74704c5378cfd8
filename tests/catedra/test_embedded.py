"""The embedded servers are shared by every process using one data folder and stop
with the last of them; leftovers of a kill -9 never block the next start."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import psycopg
import pytest
import redis
from django.conf import settings
from pgserver.utils import PostmasterInfo

from catedra.embedded import OWNER_ROLE, EmbeddedStack, celery_url, objects_hand_over, postmaster_lock_clear

pytestmark = pytest.mark.slow

HOLDER = textwrap.dedent(
    """
    import json, sys
    from catedra.embedded import EmbeddedStack
    urls = EmbeddedStack(sys.argv[1]).acquire()
    print(json.dumps([urls.database, urls.redis]), flush=True)
    sys.stdin.readline()
    """
)


def hold_in_another_process(data_dir):
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(data_dir)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    return holder, json.loads(holder.stdout.readline())


def both_answer(database_url: str, redis_url: str) -> bool:
    with psycopg.connect(database_url.replace("postgres://", "postgresql://")) as conn:
        conn.execute("SELECT 1")
    return redis.Redis.from_url(redis_url).ping()


def test_a_second_process_reuses_the_running_servers_and_the_last_one_stops_them(tmp_path):
    holder, (database_url, redis_url) = hold_in_another_process(tmp_path)
    stack = EmbeddedStack(tmp_path)
    urls = stack.acquire()
    assert (urls.database, urls.redis) == (database_url, redis_url)
    assert both_answer(urls.database, urls.redis)

    stack.release()  # the holder still uses them
    assert stack.status() == {"postgres": True, "redis": True}

    holder.stdin.write("done\n")
    holder.stdin.flush()
    assert holder.wait(timeout=60) == 0
    assert stack.status() == {"postgres": False, "redis": False}


def test_a_killed_user_leaves_a_stale_lease_that_does_not_keep_servers_alive(tmp_path):
    holder, _urls = hold_in_another_process(tmp_path)
    holder.kill()
    holder.wait()
    stack = EmbeddedStack(tmp_path)
    stack.acquire()
    assert stack.live_leases() == [os.getpid()]
    stack.release()
    assert stack.status() == {"postgres": False, "redis": False}


def test_servers_killed_with_sigkill_start_again(tmp_path):
    stack = EmbeddedStack(tmp_path)
    stack.acquire()
    postmaster = PostmasterInfo.read_from_pgdata(stack.postgres.pgdata)
    os.kill(stack.redis.pid(), signal.SIGKILL)
    os.kill(postmaster.pid, signal.SIGKILL)
    postmaster.process.wait(10)

    urls = stack.acquire()
    assert both_answer(urls.database, urls.redis)
    stack.release()
    assert stack.status() == {"postgres": False, "redis": False}


def test_celery_spells_a_redis_socket_its_own_way():
    assert celery_url("unix:///data/redis.sock") == "redis+socket:///data/redis.sock"
    assert celery_url("redis://cache:6379/0") == "redis://cache:6379/0"


def _postmaster_files(folder, pid: int, socket_pid: int | None = None):
    """A data folder's postmaster.pid naming `pid`, and its socket's lock file (naming
    `socket_pid`, if given), under `folder`."""
    pgdata, sockets = folder / "pgdata", folder / "sockets"
    pgdata.mkdir(parents=True)
    sockets.mkdir()
    lines = [str(pid), str(pgdata), "1764000000", "5432", str(sockets), "", "0 0", "ready"]
    (pgdata / "postmaster.pid").write_text("\n".join(lines) + "\n")
    socket_lock = sockets / ".s.PGSQL.5432.lock"
    socket_lock.write_text(f"{socket_pid or pid}\n{pgdata}\n")
    return pgdata / "postmaster.pid", socket_lock


def _zombie() -> subprocess.Popen:
    """A child that has exited and is not reaped yet: it still answers kill(0)."""
    child = subprocess.Popen(["true"])
    for _ in range(200):
        with open(f"/proc/{child.pid}/stat") as stat:
            if stat.read().split(")")[-1].split()[0] == "Z":
                return child
        time.sleep(0.01)
    raise AssertionError("the child did not become a zombie")


def test_the_lock_files_of_a_dead_postmaster_are_removed(tmp_path):
    gone = subprocess.Popen(["true"])
    gone.wait()
    postmaster_pid, socket_lock = _postmaster_files(tmp_path, gone.pid)
    assert postmaster_lock_clear(postmaster_pid.parent)
    assert not postmaster_pid.exists() and not socket_lock.exists()


def test_the_lock_files_of_an_unreaped_postmaster_are_removed(tmp_path):
    zombie = _zombie()
    try:
        os.kill(zombie.pid, 0)  # what PostgreSQL asks, and why it would refuse to start
        postmaster_pid, socket_lock = _postmaster_files(tmp_path, zombie.pid)
        assert postmaster_lock_clear(postmaster_pid.parent)
        assert not postmaster_pid.exists() and not socket_lock.exists()
    finally:
        zombie.wait()


def test_a_live_postmasters_lock_files_and_another_servers_socket_lock_stay(tmp_path):
    postmaster_pid, socket_lock = _postmaster_files(tmp_path / "live", os.getpid())
    assert not postmaster_lock_clear(postmaster_pid.parent)
    assert postmaster_pid.exists() and socket_lock.exists()
    gone = subprocess.Popen(["true"])
    gone.wait()
    postmaster_pid, socket_lock = _postmaster_files(tmp_path / "gone", gone.pid, socket_pid=os.getpid())
    assert postmaster_lock_clear(postmaster_pid.parent)
    assert not postmaster_pid.exists() and socket_lock.exists()  # the socket belongs to a live server


def test_a_live_standalone_backends_negated_pid_is_read_as_live(tmp_path):
    postmaster_pid, socket_lock = _postmaster_files(tmp_path, os.getpid())
    postmaster_pid.write_text(postmaster_pid.read_text().replace(str(os.getpid()), f"-{os.getpid()}", 1))
    assert not postmaster_lock_clear(postmaster_pid.parent)
    assert postmaster_pid.exists() and socket_lock.exists()


@pytest.mark.parametrize("content", ["", "not a pid\n", "-\n", "0\n"])
def test_an_unreadable_postmaster_pid_is_left_alone(tmp_path, content):
    (tmp_path / "postmaster.pid").write_text(content)
    assert not postmaster_lock_clear(tmp_path)
    assert (tmp_path / "postmaster.pid").exists()


@pytest.mark.skipif(not settings.EMBEDDED_SERVERS, reason="the embedded server's bootstrap superuser is needed")
def test_a_database_from_before_the_two_roles_is_handed_over_to_the_owner(django_db_setup):
    host = settings.DATABASES["default"]["HOST"]
    name = "catedra_handover_test"
    with psycopg.connect(f"postgresql://postgres@/postgres?host={host}", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
        uri = f"postgresql://postgres@/{name}?host={host}"
        try:
            with psycopg.connect(uri, autocommit=True) as conn:
                conn.execute(
                    "CREATE SCHEMA school_old; CREATE TABLE school_old.t (id serial PRIMARY KEY);"
                    " CREATE VIEW school_old.v AS SELECT id FROM school_old.t;"
                    " CREATE FUNCTION school_old.f() RETURNS int LANGUAGE sql AS 'SELECT 1';"
                    " CREATE TABLE public.old (id int)"
                )
            assert objects_hand_over(uri, heir=OWNER_ROLE)
            assert not objects_hand_over(uri, heir=OWNER_ROLE)  # nothing left: a cheap no-op
            with psycopg.connect(uri) as conn:
                owners = conn.execute(
                    "SELECT pg_get_userbyid(relowner) FROM pg_class"
                    " WHERE relnamespace IN ('school_old'::regnamespace, 'public'::regnamespace)"
                    " UNION SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'school_old'"
                    " UNION SELECT pg_get_userbyid(proowner) FROM pg_proc"
                    " WHERE pronamespace = 'school_old'::regnamespace"
                ).fetchall()
            assert owners == [(OWNER_ROLE,)]
        finally:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
