"""Tasks carry their school's schema to a real worker (no eager mode)."""

import os
import signal
import subprocess
import sys
import uuid

import pytest
from celery.result import AsyncResult
from django.conf import settings

from catedra.celery_app import app
from tests.conftest import SCHOOL_A, SCHOOL_B, host_client
from tests.helpers import clean_env, database_env

PROBE = "tests.catedra.celery_probe"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def worker_queue(django_db_setup):
    """A real worker on the test database, consuming a queue of its own."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = clean_env(**database_env(), REDIS_URL=settings.REDIS_URL)
    command = [sys.executable, "-m", "celery", "-A", "catedra.celery_app", "worker", "--pool", "solo",
               "--queues", queue, "--include", PROBE, "--loglevel", "WARNING", "--without-heartbeat",
               "--without-mingle", "--without-gossip", "--hostname", f"{queue}@%h"]  # fmt: skip
    worker = subprocess.Popen(command, env=env, start_new_session=True)
    try:
        yield queue
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)


@pytest.fixture
def probe_urls(settings):
    settings.ROOT_URLCONF = PROBE
    settings.PUBLIC_SCHEMA_URLCONF = PROBE


def run_probe_from(host: str, queue: str) -> dict[str, str]:
    response = host_client(host).get("/probe/enqueue", {"queue": queue})
    assert response.status_code == 200
    return AsyncResult(response.json()["task_id"], app=app).get(timeout=60)


def test_a_task_enqueued_in_school_as_request_runs_in_school_as_schema(db, probe_urls, worker_queue):
    result = run_probe_from(f"{SCHOOL_A}.localhost", worker_queue)
    assert result["schema"] == "school_a"
    assert result["search_path"].split(",")[0].strip('" ') == "school_a"


def test_the_schema_does_not_leak_into_the_next_task(db, probe_urls, worker_queue):
    hosts = [f"{SCHOOL_A}.localhost", "localhost", f"{SCHOOL_B}.localhost", "localhost"]
    schemas = [run_probe_from(host, worker_queue)["schema"] for host in hosts]
    assert schemas == ["school_a", "public", "school_b", "public"]
