"""Liveness and readiness checks. Each check answers (ok, reason) and never raises:
a probe that crashes would report a 500 instead of the reason."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

import redis
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

logger = logging.getLogger(__name__)

CheckResult = tuple[bool, str]
# Migrations on disk do not change while a process lives; once all are applied, say so cheaply.
_migrations_seen_applied = False


def check_database() -> CheckResult:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return True, "ok"


def check_redis() -> CheckResult:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
    try:
        client.ping()
    finally:
        client.close()
    return True, "ok"


def check_migrations() -> CheckResult:
    global _migrations_seen_applied
    if _migrations_seen_applied:
        return True, "ok"
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        return False, f"{len(plan)} migrations not applied"
    _migrations_seen_applied = True
    return True, "ok"


def check_scheduler() -> CheckResult:
    from ops.models import Heartbeat
    from ops.tasks import SCHEDULER_HEARTBEAT

    beat = Heartbeat.objects.filter(name=SCHEDULER_HEARTBEAT).first()
    if beat is None:
        return False, "no scheduler heartbeat yet"
    age = timezone.now() - beat.last_seen
    if age > timedelta(seconds=settings.CATEDRA_HEARTBEAT_MAX_AGE):
        return False, f"scheduler heartbeat is stale ({int(age.total_seconds())} s old)"
    return True, "ok"


READINESS_CHECKS: dict[str, Callable[[], CheckResult]] = {
    "database": check_database,
    "redis": check_redis,
    "migrations": check_migrations,
    "scheduler": check_scheduler,
}
# Checks that need a working database are skipped when it is down.
_NEEDS_DATABASE = {"migrations", "scheduler"}


def readiness() -> tuple[bool, dict[str, dict[str, object]]]:
    """Run every readiness check; (all ok, per-check results)."""
    connection.set_schema_to_public()
    results: dict[str, dict[str, object]] = {}
    for name, check in READINESS_CHECKS.items():
        if name in _NEEDS_DATABASE and not results["database"]["ok"]:
            results[name] = {"ok": False, "reason": "skipped: database unavailable"}
            continue
        results[name] = _run(name, check)
    return all(result["ok"] for result in results.values()), results


def _run(name: str, check: Callable[[], CheckResult]) -> dict[str, object]:
    try:
        ok, reason = check()
    except Exception as exc:  # noqa: BLE001 - a probe reports failures, it does not raise them
        logger.warning("readiness check %s failed: %s", name, type(exc).__name__)
        # The exception's class only: messages can carry connection strings.
        ok, reason = False, f"{type(exc).__name__}"
        if name == "database":
            connection.close()  # drop a broken connection so the next probe reconnects
    return {"ok": ok, "reason": reason}
