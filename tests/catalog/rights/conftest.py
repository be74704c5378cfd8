"""Fixtures of the rights tests."""

import pytest

from accounts.roles import Role
from catalog.rights import services as rights
from catalog.rights.models import RightsChange
from tests.accounts.conftest import make_user
from tests.catalog.web.conftest import as_user  # noqa: F401 - a fixture


@pytest.fixture
def ion(cast, in_school_a):
    """A new colleague (a substitute) with no assignment yet."""
    return make_user(in_school_a.schema_name, "ion.suplinitor", [Role.TEACHER], first_name="Ion", last_name="Vlad",
                     email="ion@scoala-a.test")  # fmt: skip


@pytest.fixture
def deputy(cast, in_school_a):
    return make_user(in_school_a.schema_name, "ana.adjunct", [Role.DEPUTY], first_name="Ana", last_name="Adjunct")


def ask(cast, person, actor=None, kind=RightsChange.Kind.ASSIGNMENT, why="Colegă nouă", **fields):
    """`actor` (the secretary) asks for a change of `person`'s rights (math in V A by default)."""
    fields = {"school_class": cast.class_5a, "subject": cast.math} | fields
    change = RightsChange(kind=kind, person=person, **fields)
    return rights.rights_ask(actor=actor or cast.admin, changes=[change], why=why)
