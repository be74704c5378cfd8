"""The database keeps the audit trail: it chains every event and refuses to change one.

Created by migrations, so public, the template and every school schema (copied from the
template's DDL) have them. Unqualified names resolve in the schema being migrated.
"""

from django.db import migrations

CHAIN = """
CREATE FUNCTION audit_event_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last_seq bigint;
    last_hash text;
BEGIN
    -- One writer at a time per schema, until its transaction ends: the chain never forks.
    PERFORM pg_advisory_xact_lock(hashtextextended('catedra.audit.' || TG_TABLE_SCHEMA, 0));
    IF TG_TABLE_SCHEMA = current_schema() THEN  -- the usual case: a plan kept for the session
        SELECT seq, hash INTO last_seq, last_hash FROM audit_auditevent ORDER BY seq DESC LIMIT 1;
    ELSE
        EXECUTE format('SELECT seq, hash FROM %I.%I ORDER BY seq DESC LIMIT 1', TG_TABLE_SCHEMA, TG_TABLE_NAME)
            INTO last_seq, last_hash;
    END IF;
    NEW.seq := coalesce(last_seq, 0) + 1;
    NEW.prev_hash := coalesce(last_hash, repeat('0', 64));
    NEW.hash := encode(sha256(convert_to(NEW.prev_hash || NEW.content_hash, 'UTF8')), 'hex');
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_event_chain BEFORE INSERT ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_chain();

CREATE FUNCTION audit_event_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_refuse();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse();
"""

UNDO = """
DROP TRIGGER audit_event_no_truncate ON audit_auditevent;
DROP TRIGGER audit_event_append_only ON audit_auditevent;
DROP TRIGGER audit_event_chain ON audit_auditevent;
DROP FUNCTION audit_event_refuse();
DROP FUNCTION audit_event_chain();
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunSQL(CHAIN, UNDO)]
