"""The school API and OneRoster keep their contract: schemathesis generates requests from each
live OpenAPI document (valid and invalid ones, a fixed seed, bounded examples) and checks
every answer: no 5xx, documented status codes and content types, bodies that match their
schemas, invalid requests refused, valid ones accepted."""

import pytest
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.openapi import from_wsgi

from catalog.api import clients
from catalog.api.models import Scope
from catalog.grades import services as grades
from tests.catalog.conftest import past_day

pytestmark = pytest.mark.slow

HOST = "school-a.localhost"
EXAMPLES = 25


@pytest.fixture
def key(cast):
    """A key that reads everything, in a school with a few grades, absences and a closed average."""
    grades.grade_add(teacher=cast.mihai, student=cast.ana, school_class=cast.class_5a, subject=cast.math,
                     on=past_day(cast.year), value=9)  # fmt: skip
    return clients.client_create(actor=cast.admin, name="Contract", scopes=list(Scope.values),
                                 rate_per_minute=100000).key  # fmt: skip


@pytest.fixture
def wsgi_in_the_test_transaction():
    """The WSGI app as Django's test client runs it: a request does not close the test's
    connection (and its transaction) when it ends."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.parametrize("document", ["/api/v1/openapi.json", "/ims/oneroster/openapi.json"])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_keeps_its_contract(key, wsgi_in_the_test_transaction, document, mode):
    app = wsgi_in_the_test_transaction
    schema = from_wsgi(document, app, headers={"Host": HOST})
    headers = {"Host": HOST, "Authorization": f"Bearer {key}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        def keeps(case):
            if mode == GenerationMode.POSITIVE and case.query:
                # Tokens are opaque: any string fits their schema, only ours are valid (400
                # otherwise, tested in test_api). The rest of the query stays generated.
                # So is OneRoster's filter grammar (an unknown field is its 400).
                for opaque in ("cursor", "updated_since", "filter"):
                    case.query.pop(opaque, None)
            case.call_and_validate(headers=headers)

        keeps()
