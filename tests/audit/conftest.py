import pytest

# The standing cast of the accounts tests, here too.
from tests.accounts.conftest import student, teacher, teacher_client  # noqa: F401


@pytest.fixture(autouse=True)
def _anchors_of_its_own(settings, tmp_path):
    """`catedra audit verify` reads the anchors in the backup storage: a folder per test."""
    settings.BACKUP_S3_ENDPOINT = ""
    settings.BACKUP_LOCAL_DIR = tmp_path / "offsite"


@pytest.fixture(autouse=True)
def _schemas_made_are_dropped(schemas_made_are_dropped):
    """Schools provisioned by `db` tests leave no schema behind (tests/conftest.py)."""
