"""PostgreSQL backend: django-tenants' own, plus statements that ride along.

A statement queued with `connection.ride_along(sql)` reaches the server in the same round
trip as the connection's next statement, or together with the COMMIT that ends the
transaction; a rollback (or a rollback to a savepoint) discards it unsent. The audit trail
uses it: an audit event is written in the transaction of the change it records, without
a round trip of its own (on this hardware one round trip is a quarter of a small write).

Riders are joined to the next statement at the very last moment, in the cursor's
`_execute`, after every execute wrapper (pghistory's adds parameters of its own): only
there is it known whether the driver will interpolate the text.

A failed schema switch fails what follows: django-tenants swallows an error of its
`SET search_path` (so that a rollback in an aborted transaction can still run), and the
cursor would then run its statement in the schema set before, another school's. Until a
switch succeeds, this backend refuses every statement but a rollback.
"""

from django.db import DatabaseError
from django.db.backends import utils
from django.db.backends.postgresql.base import CursorDebugWrapper as PostgresCursorDebugWrapper
from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantDatabaseWrapper


class SchemaSwitchFailed(DatabaseError):
    """The connection could not be moved to the current school's schema."""


# What may still run after a failed switch: undoing the transaction, and the switch again.
_ALLOWED_AFTER_FAILED_SWITCH = ("ROLLBACK", "SET SEARCH_PATH")


class _RidersMixin:
    def _execute(self, sql, params, *args):
        if self.db._switch_failed:
            self._refuse_after_failed_switch(sql)
        riders = self.db._take_riders()
        if not riders:
            return super()._execute(sql, params, *args)
        if getattr(self.cursor, "name", None):  # a named cursor takes exactly one statement
            self.db._send(riders)
            return super()._execute(sql, params, *args)
        if params is not None:  # the driver will interpolate the whole text
            riders = riders.replace("%", "%%")
        is_bytes = isinstance(sql, bytes)
        text = riders + (sql.decode() if is_bytes else sql)
        result = super()._execute(text.encode() if is_bytes else text, params, *args)
        while self.cursor.nextset():  # the caller reads the result of its own statement, the last one
            pass
        return result

    def _refuse_after_failed_switch(self, sql) -> None:
        text = (sql.decode() if isinstance(sql, bytes) else str(sql)).lstrip().upper()
        if not text.startswith(_ALLOWED_AFTER_FAILED_SWITCH):
            raise SchemaSwitchFailed(
                f"search_path could not be set to {self.db.schema_name!r}: nothing runs until a switch succeeds"
            )

    def _executemany(self, sql, param_list, *args):
        if self.db._switch_failed:
            self._refuse_after_failed_switch(sql)
        if riders := self.db._take_riders():
            self.db._send(riders)
        return super()._executemany(sql, param_list, *args)


class CursorWrapper(_RidersMixin, utils.CursorWrapper):
    pass


class CursorDebugWrapper(_RidersMixin, PostgresCursorDebugWrapper):
    pass


class DatabaseWrapper(TenantDatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._riders: list[str] = []
        self._switch_failed = False

    def _handle_search_path(self, cursor=None):
        if self._setting_search_path:  # re-entered while getting the cursor for the SET itself
            return
        super()._handle_search_path(cursor)
        # django-tenants leaves search_path_set_schemas None exactly when its SET failed.
        self._switch_failed = self.search_path_set_schemas is None

    def ride_along(self, sql: str) -> None:
        """Send `sql` (complete: values already quoted) before the next statement, in this
        transaction; outside a transaction, now."""
        if not self.in_atomic_block:
            with self.cursor() as cursor:
                cursor.execute(sql)
            return
        self._riders.append(sql)

    def make_cursor(self, cursor):
        return CursorWrapper(cursor, self)

    def make_debug_cursor(self, cursor):
        return CursorDebugWrapper(cursor, self)

    def _take_riders(self) -> str:
        riders, self._riders = self._riders, []
        return "".join(f"{sql};\n" for sql in riders)

    def _send(self, text: str) -> None:
        with self.wrap_database_errors, self.connection.cursor() as cursor:
            cursor.execute(text)

    def _commit(self):
        if self._riders and self.connection is not None:
            self._send(self._take_riders() + "COMMIT")  # one round trip; psycopg then sees no transaction
        return super()._commit()

    def _rollback(self):
        self._riders = []
        return super()._rollback()

    def _savepoint_rollback(self, sid):
        # Creating a savepoint sent every rider queued before it: those left were queued
        # after the newest savepoint, which this rollback undoes.
        self._riders = []
        return super()._savepoint_rollback(sid)

    def close(self):
        self._riders = []
        self._switch_failed = False  # a new connection starts from a SET of its own
        return super().close()
