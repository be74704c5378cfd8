"""PostgreSQL backend: django-tenants' own, plus statements that ride along.

A statement queued with `connection.ride_along(sql)` reaches the server in the same round
trip as the connection's next statement, or together with the COMMIT that ends the
transaction; a rollback (or a rollback to a savepoint) discards it unsent. The audit trail
uses it: an audit event is written in the transaction of the change it records, without
a round trip of its own (on this hardware one round trip is a quarter of a small write).
"""

from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantDatabaseWrapper


class DatabaseWrapper(TenantDatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._riders: list[str] = []
        # First in the list, so outermost: the riders go before what other wrappers add.
        self.execute_wrappers.insert(0, self._carry_riders)

    def ride_along(self, sql: str) -> None:
        """Send `sql` (complete: values already quoted) before the next statement, in this
        transaction; outside a transaction, now."""
        if not self.in_atomic_block:
            with self.cursor() as cursor:
                cursor.execute(sql)
            return
        self._riders.append(sql)

    def _take_riders(self) -> str:
        riders, self._riders = self._riders, []
        return "".join(f"{sql};\n" for sql in riders)

    def _carry_riders(self, execute, sql, params, many, context):
        if not self._riders:
            return execute(sql, params, many, context)
        cursor = context["cursor"]
        if many or getattr(cursor, "name", None):  # executemany and named cursors take one statement
            with self.cursor() as own:
                own.execute(self._take_riders())
            return execute(sql, params, many, context)
        riders = self._take_riders()
        if params is not None:  # the driver will interpolate the whole text
            riders = riders.replace("%", "%%")
        is_bytes = isinstance(sql, bytes)
        text = riders + (sql.decode() if is_bytes else sql)
        result = execute(text.encode() if is_bytes else text, params, many, context)
        while cursor.nextset():  # the caller reads the result of its own statement, the last one
            pass
        return result

    def _commit(self):
        if self._riders and self.connection is not None:
            with self.wrap_database_errors, self.connection.cursor() as cursor:
                cursor.execute(self._take_riders() + "COMMIT")  # one round trip; psycopg then sees no transaction
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
        return super().close()
