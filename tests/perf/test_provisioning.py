"""Provisioning figures (printed, not asserted: the pass/fail lives in functional tests).
Targets: one school < 0.5 s median and at least 5x faster than migrating a new schema."""

import statistics
import time

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from catedra.database import owner_connection
from provisioning.schemas import schema_create_from_template, schema_drop
from provisioning.services import school_provision
from tests.helpers import clean_env, database_env, run_catedra

pytestmark = [pytest.mark.perf, pytest.mark.slow]


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def migrate_new_schema(name: str) -> None:
    with owner_connection(autocommit=True) as conn:  # DDL is the owner's
        conn.execute(f"CREATE SCHEMA {name}")
    call_command("migrate", schema_name=name, interactive=False, verbosity=0)
    connection.set_schema_to_public()


def test_one_schema_from_the_template_versus_by_migrations(real_db, capsys):
    # Real commits: the owner makes the schemas on its own connection; dropped after.
    names = ["warm_up", *(f"bench_clone_{n}" for n in range(9)), *(f"bench_migrate_{n}" for n in range(5))]
    try:
        schema_create_from_template("warm_up")  # the first one also takes the template's DDL
        cloned = [timed(lambda n=n: schema_create_from_template(f"bench_clone_{n}")) for n in range(9)]
        # Five migrations are enough for a median: each takes ~15 s (40x a clone).
        migrated = [timed(lambda n=n: migrate_new_schema(f"bench_migrate_{n}")) for n in range(5)]
    finally:
        for name in names:
            schema_drop(name)
    clone_median, migrate_median = statistics.median(cloned), statistics.median(migrated)
    with capsys.disabled():
        print(f"\n[perf] new school schema: from template median {clone_median * 1000:.0f} ms, "
              f"by migrations median {migrate_median * 1000:.0f} ms, {migrate_median / clone_median:.1f}x faster "
              f"(targets: < 500 ms, >= 5x)")  # fmt: skip


def provision(n: int) -> None:
    school_provision(
        requested_by="bench", name=f"Școala Gimnazială nr. {n}", slug=f"bench-{n}", siiir_code=f"{9000000000 + n}",
        cui="4267117", county="IS", locality="Iași", admin_name="Ana Pop", admin_email=f"admin{n}@bench.test",
    )  # fmt: skip


def migrate_all(processes: int) -> float:
    env = clean_env(
        **database_env(),
        REDIS_URL=settings.REDIS_URL,
        CATEDRA_MIGRATE_PROCESSES=str(processes),
    )
    started = time.perf_counter()
    result = run_catedra("migrate", env=env, timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    return time.perf_counter() - started


@pytest.mark.last
def test_provisioning_as_schools_accumulate_and_migrating_200_schools(django_db_setup, django_db_blocker, capsys):
    """The 500 schools stay until the end of the run, when the whole test database is dropped:
    dropping 500 schemas one by one cost PostgreSQL about 20 CPU-minutes, dropping the
    database a few seconds. Marked `last` so that no other test sees them."""
    lines, made = [], 0
    with django_db_blocker.unblock():
        for target in (10, 100, 200, 350, 500):
            batch = range(made, target)
            seconds = timed(lambda batch=batch: [provision(n) for n in batch])
            made = target
            lines.append(f"[perf] provisioning with {target:3d} schools in the database: "
                         f"{seconds / len(batch) * 1000:.0f} ms per school")  # fmt: skip
            if target == 200:
                sequential, parallel = migrate_all(1), migrate_all(settings.CATEDRA_MIGRATE_PROCESSES)
                processes = settings.CATEDRA_MIGRATE_PROCESSES
                lines.append(f"[perf] catedra migrate over 200+ schools, nothing to apply: sequential "
                             f"{sequential:.1f} s, {processes} processes {parallel:.1f} s")  # fmt: skip
    with capsys.disabled():
        print("\n" + "\n".join(lines))
