# The catalog's standing cast and signed-in clients, for the catalog benchmarks; the
# backups' real parts (a seeded school with commits, a local folder, a backup database).
from tests.catalog.conftest import cast, in_school_a  # noqa: F401
from tests.catalog.web.conftest import as_user  # noqa: F401
from tests.ops.backups.conftest import backup_database, backup_db, local_storage, real_db, seeded_school  # noqa: F401
