"""audit_append(schema, content_hash, content): how the application appends an event.

One call instead of an INSERT of twenty literals: the function's INSERT is planned once
per session (PL/pgSQL keeps the plan), and the content arrives as the very canonical JSON
the application hashed (audit.chain.canonical_json), so what is stored is what was hashed.
The chain itself stays with the BEFORE INSERT trigger (0002), which every insert fires,
this one included: it serialises, numbers and links.

Created by migrations, so public, the template and every school schema have it. The
schema is named by the caller: the call may reach the server before the statement that
switches search_path to that schema; then the insert names the schema (EXECUTE).
"""

from django.db import migrations

APPEND = """
CREATE FUNCTION audit_append(event_schema text, event_content_hash text, event_content jsonb)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF event_schema = current_schema() THEN  -- the usual case: a plan kept for the session
        INSERT INTO audit_auditevent (
            seq, prev_hash, hash, content_hash, occurred_at, actor_kind, actor_id, actor_name, actor_roles,
            action, object_type, object_id, person_id, person_name, old_values, new_values, reason,
            request_id, ip, source
        )
        SELECT 0, '', '', event_content_hash, e.occurred_at, e.actor_kind, e.actor_id, e.actor_name,
            e.actor_roles, e.action, e.object_type, e.object_id, e.person_id, e.person_name, e.old_values,
            e.new_values, e.reason, e.request_id, e.ip, e.source
        FROM jsonb_populate_record(NULL::audit_auditevent, event_content) AS e;
    ELSE
        EXECUTE format(
            'INSERT INTO %1$I.audit_auditevent ('
            '    seq, prev_hash, hash, content_hash, occurred_at, actor_kind, actor_id, actor_name, actor_roles,'
            '    action, object_type, object_id, person_id, person_name, old_values, new_values, reason,'
            '    request_id, ip, source'
            ')'
            ' SELECT 0, '''', '''', $1, e.occurred_at, e.actor_kind, e.actor_id, e.actor_name,'
            '    e.actor_roles, e.action, e.object_type, e.object_id, e.person_id, e.person_name, e.old_values,'
            '    e.new_values, e.reason, e.request_id, e.ip, e.source'
            ' FROM jsonb_populate_record(NULL::%1$I.audit_auditevent, $2) AS e',
            event_schema
        ) USING event_content_hash, event_content;
    END IF;
END
$$;
"""

UNDO = "DROP FUNCTION audit_append(text, text, jsonb);"


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_chain_and_protection")]
    operations = [migrations.RunSQL(APPEND, UNDO)]
