"""Fixtures of the data-subject rights tests."""

from tests.catalog.web.conftest import as_user  # noqa: F401 - a fixture
