import pytest


@pytest.fixture(autouse=True)
def _schemas_made_are_dropped(schemas_made_are_dropped):
    """Schools provisioned by `db` tests leave no schema behind (tests/conftest.py)."""
