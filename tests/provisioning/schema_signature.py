"""A schema described object by object, with its own name taken out, for comparisons."""

from django.db import connection

QUERIES = {
    "columns": """SELECT table_name, column_name, data_type, is_nullable, coalesce(column_default, ''),
                         coalesce(character_maximum_length, 0), is_identity
                  FROM information_schema.columns WHERE table_schema = %(schema)s""",
    "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = %(schema)s",
    "constraints": """SELECT c.relname, con.conname, pg_get_constraintdef(con.oid)
                      FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
                      JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %(schema)s""",
    "triggers": """SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid)
                   FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                   JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE n.nspname = %(schema)s AND NOT t.tgisinternal""",
    "functions": """SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p
                    JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = %(schema)s""",
    "sequences": """SELECT sequence_name, data_type, start_value, increment FROM information_schema.sequences
                    WHERE sequence_schema = %(schema)s""",
    "migrations": "SELECT app, name FROM {schema}.django_migrations",
    "content_types": "SELECT id, app_label, model FROM {schema}.django_content_type",
    "permissions": "SELECT content_type_id, codename FROM {schema}.auth_permission",
}


def schema_signature(schema: str) -> dict[str, list[tuple]]:
    signature = {}
    with connection.cursor() as cursor:
        for name, query in QUERIES.items():
            cursor.execute(query.format(schema=schema), {"schema": schema})
            rows = [tuple(str(value).replace(f"{schema}.", "<schema>.") for value in row) for row in cursor.fetchall()]
            signature[name] = sorted(rows)
    return signature
