# The standing cast of the accounts tests, here too.
from tests.accounts.conftest import student, teacher, teacher_client  # noqa: F401
