"""audit_append() runs with its owner's rights (SECURITY DEFINER): the runtime role may not
write the event table (docs/architecture.md, "Database roles"), only call this function.

Such a function must not resolve a name through the caller's search_path (a caller could
put its own table or operator first): the path is fixed to pg_catalog, and the event table
is always named with the schema the caller passes. The chain trigger (0002), fired by the
INSERT, then finds the schema from TG_TABLE_SCHEMA the same way. EXECUTE is revoked from
PUBLIC; the runtime role is granted it with its other rights (catedra.database).
"""

import importlib

from django.db import migrations

APPEND = """
CREATE OR REPLACE FUNCTION audit_append(event_schema text, event_content_hash text, event_content jsonb)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    EXECUTE format(
        'INSERT INTO %I.audit_auditevent ('
        '    seq, prev_hash, hash, content_hash, occurred_at, actor_kind, actor_id, actor_name, actor_roles,'
        '    action, object_type, object_id, person_id, person_name, old_values, new_values, reason,'
        '    request_id, ip, source'
        ')'
        ' VALUES ('
        '    0, '''', '''', $1, ($2->>''occurred_at'')::timestamptz,'
        '    $2->>''actor_kind'', ($2->>''actor_id'')::bigint, $2->>''actor_name'','
        '    $2->>''actor_roles'', $2->>''action'', $2->>''object_type'','
        '    $2->>''object_id'', ($2->>''person_id'')::bigint, $2->>''person_name'','
        '    $2->''old_values'', $2->''new_values'', $2->>''reason'','
        '    $2->>''request_id'', $2->>''ip'', $2->>''source'''
        ')',
        event_schema
    ) USING event_content_hash, event_content;
END
$$;
REVOKE ALL ON FUNCTION audit_append(text, text, jsonb) FROM PUBLIC;
"""


def _previous() -> str:
    """0004's definition (invoker's rights, the caller's search_path), to go back to."""
    previous = importlib.import_module("audit.migrations.0004_audit_append_fields").APPEND
    return (
        previous
        + "\nALTER FUNCTION audit_append(text, text, jsonb) SECURITY INVOKER RESET search_path;"
        + ("\nGRANT EXECUTE ON FUNCTION audit_append(text, text, jsonb) TO PUBLIC;")
    )


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_audit_append_fields")]
    operations = [migrations.RunSQL(APPEND, _previous())]
