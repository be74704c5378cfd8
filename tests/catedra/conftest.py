# Fixtures of other test modules, for the walk of every page and the production headers.
from tests.catalog.conftest import cast, in_school_a  # noqa: F401
from tests.catedra.test_settings import production_env  # noqa: F401
