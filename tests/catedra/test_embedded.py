"""The embedded servers are shared by every process using one data folder and stop
with the last of them; leftovers of a kill -9 never block the next start."""

import json
import os
import signal
import subprocess
import sys
import textwrap

import psycopg
import pytest
import redis
from pgserver.utils import PostmasterInfo

from catedra.embedded import EmbeddedStack, celery_url

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
