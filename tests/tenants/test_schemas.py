"""A school schema made from the template is the schema migrations would make."""

import pytest
from django.core.management import call_command
from django.db import connection

from catedra.database import owner_connection
from tenants.schemas import SchemaError, schema_create_from_template, schema_drop
from tests.provisioning.schema_signature import schema_signature


@pytest.fixture
def schemas(real_db):
    """Names of schemas a test makes (committed: the owner makes them); dropped after it."""
    made: list[str] = []
    yield made
    for name in made:
        schema_drop(name)


def migrated_schema(name: str) -> str:
    with owner_connection(autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    call_command("migrate", schema_name=name, interactive=False, verbosity=0)
    connection.set_schema_to_public()
    return name


def test_a_schema_made_from_the_template_equals_a_migrated_one(schemas):
    schemas += ["made_from_template", "made_by_migrations"]
    schema_create_from_template("made_from_template")
    migrated = schema_signature(migrated_schema("made_by_migrations"))
    cloned = schema_signature("made_from_template")
    assert migrated["columns"] and migrated["migrations"] and migrated["permissions"]
    for part in migrated:
        assert cloned[part] == migrated[part], part


def test_a_new_schema_can_take_new_rows_in_copied_tables(schemas):
    schemas.append("fresh_school")
    schema_create_from_template("fresh_school")
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO fresh_school.django_content_type (app_label, model) VALUES ('x', 'y') RETURNING id")
        new_id = cursor.fetchone()[0]
        cursor.execute("SELECT max(id) FROM _template.django_content_type")
        assert new_id > cursor.fetchone()[0]


def test_a_new_schema_starts_with_no_school_data(schemas):
    schemas.append("empty_school")
    schema_create_from_template("empty_school")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM empty_school.accounts_user")
        assert cursor.fetchone()[0] == 0


@pytest.mark.parametrize("name", ["public", "_template", "pg_catalog", "a-b", "x" * 64, "a;drop", "", "Școala"])
def test_invalid_or_reserved_schema_names_are_refused(db, name):
    with pytest.raises(SchemaError):
        schema_create_from_template(name)


@pytest.mark.parametrize("name", ["public", "_template", "a;drop"])
def test_public_and_the_template_are_never_dropped(db, name):
    with pytest.raises(SchemaError):
        schema_drop(name)
