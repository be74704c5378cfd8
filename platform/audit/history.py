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
