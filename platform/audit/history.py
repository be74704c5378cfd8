"""Row history (pghistory triggers) for the models the catalog must be able to account for."""

import pghistory


def tracked():
    """Track every insert, update and delete of a model, whatever code or SQL makes it.

    The history row keeps the request's actor, request id and reason (the audit context).
    """
    return pghistory.track(
        pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(),
        obj_field=pghistory.ObjForeignKey(related_name="history"),
    )  # fmt: skip


def context_in_row(table: str, index: str) -> tuple[str, str]:
    """SQL (forward, backward) moving a history table from pghistory_context rows to the
    context in the row: a jsonb column filled from the context each row pointed to, and
    pgh_context_id no longer indexed as a key (nothing joins on it any more). The four
    `*_history_context_in_row` migrations call it: keep what it writes unchanged."""
    return (
        f"ALTER TABLE {table} ADD COLUMN pgh_context jsonb NULL;"  # noqa: S608 - names from the migrations
        f" UPDATE {table} AS e SET pgh_context = c.metadata FROM pghistory_context AS c"
        f" WHERE c.id = e.pgh_context_id;"
        f" DROP INDEX {index};",
        f"CREATE INDEX {index} ON {table} (pgh_context_id); ALTER TABLE {table} DROP COLUMN pgh_context;",
    )
