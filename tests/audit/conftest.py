import pytest

# The standing cast of the accounts tests, here too.
from tests.accounts.conftest import student, teacher, teacher_client  # noqa: F401


@pytest.fixture(autouse=True)
def _schemas_made_are_dropped(schemas_made_are_dropped):
    """Schools provisioned by `db` tests leave no schema behind (tests/conftest.py)."""
