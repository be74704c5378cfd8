"""Provisioning figures, printed, and their goals asserted (with a busy machine's margin).
Targets: one school < 0.5 s median and at least 5x faster than migrating a new schema."""

import statistics
import time

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from catedra.database import owner_connection
from provisioning.services import school_provision
from tenants.schemas import schema_create_from_template, schema_drop
from tests.helpers import clean_env, database_env, run_catedra
from tests.perf.budget import FULL_SIZE, within

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
    assert within(clone_median, 0.5), f"a schema from the template: median {clone_median * 1000:.0f} ms"
    assert migrate_median / clone_median >= 5, "measured in one run: the machine's load weighs on both alike"


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
    """Schools made one after another up to 500 (`make test`: 120), and a `catedra migrate`
    with nothing to apply over 200 of them (`make test`: 60); a school is made in < 500 ms
    however many there are. The schools stay until the end of the run, when the whole test database is dropped:
    dropping 500 schemas one by one cost PostgreSQL about 20 CPU-minutes, dropping the
    database a few seconds. Marked `last` so that no other test sees them."""
    lines, made, per_school = [], 0, 0.0
    sizes, migrated_at = sized_steps()
    with django_db_blocker.unblock():
        for target in sizes:
            batch = range(made, target)
            seconds = timed(lambda batch=batch: [provision(n) for n in batch])
            made = target
            per_school = seconds / len(batch)
            lines.append(f"[perf] provisioning with {target:3d} schools in the database: "
                         f"{per_school * 1000:.0f} ms per school")  # fmt: skip
            if target == migrated_at:
                sequential, parallel = migrate_all(1), migrate_all(settings.CATEDRA_MIGRATE_PROCESSES)
                processes = settings.CATEDRA_MIGRATE_PROCESSES
                lines.append(f"[perf] catedra migrate over {migrated_at}+ schools, nothing to apply: sequential "
                             f"{sequential:.1f} s, {processes} processes {parallel:.1f} s")  # fmt: skip
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert within(per_school, 0.5), f"with {made} schools a school took {per_school * 1000:.0f} ms"


def sized_steps() -> tuple[tuple[int, ...], int]:
    """The numbers of schools measured at, and the one the migration runs at."""
    if FULL_SIZE:
        return (10, 100, 200, 350, 500), 200
    return (10, 60, 120), 60
