"""`catedra migrate`: the public schema, then the template, then every school in parallel.

A school whose migration fails is reported and the others go on; the command exits
non-zero at the end if any failed. `--schema NAME` migrates one schema, as
django-tenants' own command does. It runs as the owner (DATABASE_OWNER_URL); after each
schema's migrations the runtime role is given its rights on it (catedra.database).
"""

import multiprocessing
import multiprocessing.pool
import signal
import time

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection, connections
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand
from django_tenants.migration_executors.base import run_migrations
from django_tenants.utils import get_public_schema_name

from catedra.database import owner_default_connection, runtime_grants_apply, runtime_grants_missing
from tenants import selectors
from tenants.schemas import TEMPLATE_SCHEMA

EXECUTOR = "catedra"


class Command(MigrateSchemasCommand):
    help = "Migrate the public schema, the template schema, then every school (in parallel)."

    def handle(self, *args, **options):
        with owner_default_connection():
            if options.get("schema_name"):
                super().handle(*args, **options)
                _grants_give(options["schema_name"])
                return
            # SyncCommon works out which sides to migrate (--shared / --tenant / both).
            super(MigrateSchemasCommand, self).handle(*args, **options)
            if self.sync_public:
                run_migrations(self.args, self.options, EXECUTOR, get_public_schema_name())
                _grants_give(get_public_schema_name())
            if self.sync_tenant:
                self._migrate_template()
                self._migrate_schools()

    def _migrate_template(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {TEMPLATE_SCHEMA}")
        run_migrations(self.args, self.options, EXECUTOR, TEMPLATE_SCHEMA)
        # Fresh planner statistics keep the template's catalog reads fast when schools are made.
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {TEMPLATE_SCHEMA}.django_migrations")
        _grants_give(TEMPLATE_SCHEMA)

    def _migrate_schools(self) -> None:
        schemas = selectors.schemas_to_migrate()
        if not schemas:
            return
        processes = max(1, min(settings.CATEDRA_MIGRATE_PROCESSES, len(schemas)))
        self.stdout.write(f"Migrating {len(schemas)} schools, {processes} at a time...")
        options = {**self.options, "verbosity": 0}
        failures = []
        connections.close_all()  # each worker opens its own connection
        with worker_pool(processes) as pool:
            jobs = [(self.args, options, schema) for schema in schemas]
            for done, (schema, seconds, error) in enumerate(pool.imap_unordered(_migrate_school, jobs), 1):
                if error:
                    failures.append(schema)
                    self.stderr.write(f"[{done}/{len(schemas)}] {schema}: FAILED: {error}")
                else:
                    self.stdout.write(f"[{done}/{len(schemas)}] {schema}: ok ({seconds:.1f} s)")
            # Workers leave on their own once the queue is done (leaving the block would
            # terminate them with SIGTERM, which is for errors only).
            pool.close()
            pool.join()
        if failures:
            raise CommandError(f"{len(failures)} of {len(schemas)} schools failed to migrate: {', '.join(failures)}")


def worker_pool(processes: int) -> multiprocessing.pool.Pool:
    """Forked workers that end when told: see `_worker_signals_reset`."""
    context = multiprocessing.get_context("fork")
    return context.Pool(processes=processes, maxtasksperchild=50, initializer=_worker_signals_reset)


def _worker_signals_reset() -> None:
    """A forked worker inherits the caller's Python signal handlers: `catedra run` turns
    SIGTERM and SIGINT into "stop when you can", which would make the pool's SIGTERM a no-op
    and its join wait forever. Workers take the default actions back."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _migrate_school(job) -> tuple[str, float, str]:
    args, options, schema = job
    started = time.monotonic()
    try:
        run_migrations(args, options, EXECUTOR, schema, allow_atomic=False)
        _grants_give(schema)
    except Exception as exc:  # noqa: BLE001 - reported per school; the others go on
        connections.close_all()
        return schema, time.monotonic() - started, f"{type(exc).__name__}: {exc}"
    return schema, time.monotonic() - started, ""


def _grants_give(schema: str) -> None:
    """The runtime role's rights on `schema`, tables made by this migration included (none to
    give when every table is already granted: a migrate with nothing to apply)."""
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        if runtime_grants_missing(cursor.cursor, schema):
            runtime_grants_apply(cursor.cursor, schema)
