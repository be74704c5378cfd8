"""Fixtures of the notify tests."""

from tests.catalog.attendance.test_notice_deliveries import sms_gateway  # noqa: F401 - a fixture
from tests.catalog.web.conftest import as_user  # noqa: F401 - a fixture
