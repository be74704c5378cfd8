"""/healthz and /readyz answer on every host, as JSON, 200 or 503, never 500."""

from datetime import timedelta

import pytest
from django.utils import timezone

from catedra.embedded import EmbeddedRedis
from ops import health
from ops.models import Heartbeat
from ops.services import heartbeat_record
from ops.tasks import SCHEDULER_HEARTBEAT
from tests.conftest import host_client


@pytest.fixture
def fresh_heartbeat(db):
    return heartbeat_record(name=SCHEDULER_HEARTBEAT)


def readyz(host: str = "localhost"):
    return host_client(host).get("/readyz")


@pytest.mark.parametrize("host", ["localhost", "school-a.localhost", "10.42.0.7:8000", "unknown.example"])
def test_healthz_answers_ok_on_every_host(db, host):
    response = host_client(host).get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("host", ["localhost", "school-b.localhost", "10.42.0.7:8000"])
def test_readyz_is_200_when_everything_is_up(fresh_heartbeat, host):
    response = readyz(host)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "redis", "migrations", "scheduler"}
    assert all(check["ok"] for check in body["checks"].values())


def test_readyz_is_503_before_the_scheduler_ever_ran(db):
    Heartbeat.objects.all().delete()
    response = readyz()
    assert response.status_code == 503
    assert response.json()["checks"]["scheduler"] == {"ok": False, "reason": "no scheduler heartbeat yet"}


def test_readyz_is_503_with_a_reason_when_the_heartbeat_is_stale(fresh_heartbeat, settings):
    fresh_heartbeat.last_seen = timezone.now() - timedelta(seconds=settings.CATEDRA_HEARTBEAT_MAX_AGE + 60)
    fresh_heartbeat.save()
    response = readyz()
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert "stale" in response.json()["checks"]["scheduler"]["reason"]


def test_readyz_is_503_with_a_reason_when_redis_is_stopped(fresh_heartbeat, settings, tmp_path):
    redis_server = EmbeddedRedis(tmp_path / "redis")
    settings.REDIS_URL = redis_server.start()
    try:
        assert readyz().status_code == 200
    finally:
        redis_server.stop()
    response = readyz()
    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == {"ok": False, "reason": "ConnectionError"}
    assert response.json()["checks"]["database"]["ok"] is True


def test_a_check_that_crashes_gives_503_not_500(fresh_heartbeat, monkeypatch):
    def broken():
        raise RuntimeError("postgres://user:secret@db/catedra is unreachable")

    monkeypatch.setitem(health.READINESS_CHECKS, "migrations", broken)
    response = readyz()
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == {"ok": False, "reason": "RuntimeError"}
    assert "secret" not in response.content.decode()


def test_the_heartbeat_is_recorded_in_public_even_from_a_school_schema(db):
    from django_tenants.utils import schema_context

    with schema_context("school_a"):
        heartbeat_record(name=SCHEDULER_HEARTBEAT)
    assert Heartbeat.objects.filter(name=SCHEDULER_HEARTBEAT).exists()
