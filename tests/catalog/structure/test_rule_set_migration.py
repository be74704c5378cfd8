"""structure 0006 adds rule 10's setting for several subjects over the share: the rule sets a
school already has get the legal reading, a point per subject, and keep every other rule."""

import pytest
from django.db import IntegrityError, connection
from django.db.migrations.executor import MigrationExecutor
from django_tenants.utils import schema_context

from catedra.database import owner_default_connection
from tenants.schemas import schema_create_from_template, schema_drop

BEFORE, AFTER = ("structure", "0005_import_job"), ("structure", "0006_rule_set_conduct_subject_deduction")
SCHEMA = "rule_set_migration"


@pytest.fixture
def old_schema(django_db_setup, django_db_blocker):
    """A school schema of its own (real commits), its structure app back at 0005."""
    # Migrations are the owner's to run (the runtime role owns no table to alter).
    with django_db_blocker.unblock(), owner_default_connection():
        schema_create_from_template(SCHEMA)
        try:
            with schema_context(SCHEMA):
                MigrationExecutor(connection).migrate([BEFORE])
                yield SCHEMA
        finally:
            connection.set_schema_to_public()
            schema_drop(SCHEMA)


def test_existing_rule_sets_count_a_point_per_subject_and_keep_their_other_rules(old_schema):
    old_apps = MigrationExecutor(connection).loader.project_state([BEFORE]).apps
    OldRuleSet = old_apps.get_model("structure", "RuleSet")
    OldRuleSet.objects.create(version=2, note="Decizia CA", conduct_deductions_add=False, notify_at=[10])

    executor = MigrationExecutor(connection)
    executor.migrate([AFTER])

    RuleSet = executor.loader.project_state([AFTER]).apps.get_model("structure", "RuleSet")
    rows = RuleSet.objects.order_by("version").values_list(
        "version", "conduct_subject_deduction", "conduct_deductions_add"
    )
    assert list(rows) == [(1, "per_subject", True), (2, "per_subject", False)]
    with pytest.raises(IntegrityError, match="rule_set_conduct_subject_deduction_known"):
        RuleSet.objects.filter(version=2).update(conduct_subject_deduction="twice")
