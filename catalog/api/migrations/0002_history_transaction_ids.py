"""Every history row the school API syncs from carries the id of the transaction that wrote
it (`pgh_xid`, filled by the column's default), so that a sync window is a pair of snapshots
rather than a pair of times (catalog.api.sync). A BRIN index: history rows arrive in
transaction order, and a window reads from a lower bound up; it costs the writes almost nothing.

Rows written before this migration take its own transaction's id: the first window after it
holds every object once, which is what a client that synced before it would need anyway."""

from django.db import migrations

HISTORY_TABLES = [
    "grades_gradeevent",
    "grades_averageevent",
    "grades_conductgradeevent",
    "grades_examevent",
    "grades_yearresultevent",
    "attendance_absenceevent",
    "structure_enrolmentevent",
    "structure_studentevent",
    "accounts_userevent",
]


def _forward(table: str) -> str:
    return (
        f"ALTER TABLE {table} ADD COLUMN pgh_xid bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint);"
        f" CREATE INDEX {table}_pgh_xid ON {table} USING brin (pgh_xid);"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("school_api", "0001_initial"),
        ("grades", "0010_transcribed_absences"),
        ("attendance", "0005_notice_deliveries"),
        ("structure", "0006_rule_set_conduct_subject_deduction"),
        ("accounts", "0008_history_context_in_row"),
    ]

    operations = [
        migrations.RunSQL(_forward(table), f"ALTER TABLE {table} DROP COLUMN pgh_xid;") for table in HISTORY_TABLES
    ]
