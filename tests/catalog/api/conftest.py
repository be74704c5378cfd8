import pytest

from catalog.api import clients
from catalog.api.models import Scope
from tests.accounts.conftest import SCHOOL_A_HOST
from tests.catalog.web.conftest import SchoolClient, as_user  # noqa: F401 - a fixture

EVERY_SCOPE = tuple(Scope.values)


@pytest.fixture
def api_key(cast):
    """A key of school A that may read everything."""
    return clients.client_create(actor=cast.admin, name="ISJ Argeș", scopes=EVERY_SCOPE).key


@pytest.fixture
def api(in_school_a, api_key):
    """GET on school A's API with the key: api(path, **params) -> response."""
    return api_for(in_school_a.schema_name, api_key)


def api_for(schema: str, key: str, host: str = SCHOOL_A_HOST):
    client = SchoolClient(HTTP_HOST=host)
    client.schema = schema

    def get(path: str, headers: dict | None = None, secure: bool = False, **params):
        return client.get(f"/api/v1/{path}", params, HTTP_AUTHORIZATION=f"Bearer {key}", headers=headers, secure=secure)

    return get
