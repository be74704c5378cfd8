# The catalog's standing cast and signed-in clients, for the catalog benchmarks (the
# backups' fixtures come from tests/backup_fixtures.py, registered by the root conftest).
from tests.catalog.conftest import cast, in_school_a, old  # noqa: F401
from tests.catalog.web.conftest import as_user  # noqa: F401
