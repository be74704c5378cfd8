"""Moving row history to the context in the row (accounts 0008, and the same in the catalog's
apps) keeps the context of the rows written before: a schema holding history made with
pghistory_context rows is migrated forward and every row still tells who acted and why."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django_tenants.utils import schema_context

from accounts.models import User
from audit.models import Source
from audit.services import audit_context
from catedra.database import owner_default_connection
from tenants.schemas import schema_create_from_template, schema_drop

BEFORE, AFTER = ("accounts", "0007_row_history"), ("accounts", "0008_history_context_in_row")


@pytest.fixture
def old_schema(django_db_setup, django_db_blocker):
    """A school schema of its own (real commits), its accounts history back at 0007."""
    # Migrations are the owner's to run (the runtime role owns no table to alter).
    with django_db_blocker.unblock(), owner_default_connection():
        schema_create_from_template("audit_migration")
        try:
            with schema_context("audit_migration"):
                MigrationExecutor(connection).migrate([BEFORE])
                yield "audit_migration"
        finally:
            connection.set_schema_to_public()
            schema_drop("audit_migration")


def test_history_written_with_context_rows_keeps_its_context_after_the_migration(old_schema):
    with audit_context(source=Source.CLI, actor_label="cli:repair", reason="corecție", request_id="req-before"):
        user = User.objects.create(username="ana.inainte", first_name="Ana", roles=["teacher"])
        User.objects.filter(pk=user.pk).update(first_name="Ana Maria")
    User.objects.filter(pk=user.pk).update(first_name="Ana")  # outside any context
    with connection.cursor() as cursor:
        cursor.execute("SELECT pgh_context_id FROM accounts_userevent WHERE pgh_label = 'insert'")
        (context_id,) = cursor.fetchone()

    MigrationExecutor(connection).migrate([AFTER])

    inserted, updated, outside = user.history.order_by("pgh_id")
    assert inserted.pgh_context == updated.pgh_context
    assert inserted.pgh_context == {
        "actor": "system:cli:repair", "source": "cli", "request_id": "req-before", "reason": "corecție",
    }  # fmt: skip
    assert inserted.pgh_context_id == updated.pgh_context_id == context_id
    assert (outside.pgh_context, outside.pgh_context_id) == (None, None)
    with connection.cursor() as cursor:  # the key's index went with the key
        cursor.execute(
            "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'accounts_userevent'"
            " AND indexdef LIKE '%%(pgh_context_id)%%'"
        )
        assert cursor.fetchone() == (0,)
    # and the new triggers write the context into the row
    with audit_context(source=Source.CLI, actor_label="cli:repair", request_id="req-after"):
        User.objects.filter(pk=user.pk).update(first_name="Ana Ioana")
    assert user.history.order_by("pgh_id").last().pgh_context["request_id"] == "req-after"
