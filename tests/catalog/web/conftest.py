"""Signed-in clients of school A for the catalog's pages."""

import pytest
from django.db import connection
from django.test import Client

from tests.accounts.conftest import PASSWORD, SCHOOL_A_HOST, login, sign_in_with_2fa


class SchoolClient(Client):
    """A client of school A's host that leaves the test's connection in school A's schema
    (the routing middleware sets it back to public after each request)."""

    def request(self, **request):
        response = super().request(**request)
        connection.set_schema(self.schema)
        return response


@pytest.fixture
def as_user(cast, in_school_a):
    def signed_in(user):
        client = SchoolClient(HTTP_HOST=SCHOOL_A_HOST)
        client.schema = in_school_a.schema_name
        if not user.has_usable_password():  # students are created without one
            user.set_password(PASSWORD)
            user.save()
        if user.must_use_two_factor:
            sign_in_with_2fa(client, user, backup_code=f"code{user.pk}")
        else:
            assert login(client, user.username).status_code == 302
        return client

    return signed_in


def gradebook_url(school_class, subject, student=None, action=""):
    url = f"/clase/{school_class.pk}/discipline/{subject.pk}/"
    return f"{url}elevi/{student.pk}/{action}/" if student else url
