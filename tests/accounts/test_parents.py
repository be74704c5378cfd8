"""A parent sets the password of their own minor child only (Order 3896/2023 art. 18(2))."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from accounts import services
from accounts.models import ParentLink, User
from accounts.roles import Role
from tests.accounts.conftest import PASSWORD, login, make_user

NEW = "Ghiozdan-Albastru-7"


@pytest.fixture
def family(school_a):
    schema = school_a.schema_name
    parent = make_user(schema, "cristina.lungu", [Role.PARENT])
    minor = make_user(schema, "ioana.lungu", [Role.STUDENT], birth_date=date(2013, 5, 1))
    adult = make_user(schema, "radu.lungu", [Role.STUDENT], birth_date=date(2006, 1, 1))
    stranger = make_user(schema, "alt.copil", [Role.STUDENT], birth_date=date(2014, 1, 1))
    with schema_context(schema):
        ParentLink.objects.create(parent=parent, student=minor)
        ParentLink.objects.create(parent=parent, student=adult)
    return parent, minor, adult, stranger


def test_a_parent_sets_their_minor_childs_password_through_the_page(client_a, family):
    parent, minor, _adult, _stranger = family
    login(client_a, parent.username)
    response = client_a.post(f"/cont/copii/{minor.pk}/parola/", {"new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 302
    with schema_context("school_a"):
        assert User.objects.get(pk=minor.pk).check_password(NEW)


def test_not_another_parents_child(client_a, family):
    parent, _minor, _adult, stranger = family
    login(client_a, parent.username)
    response = client_a.post(f"/cont/copii/{stranger.pk}/parola/", {"new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 404
    with schema_context("school_a"):
        assert User.objects.get(pk=stranger.pk).check_password(PASSWORD)
        with pytest.raises(services.NotAllowed):
            services.child_password_set(parent=parent, child=stranger, password=NEW)


def test_not_an_adult_student(family):
    parent, _minor, adult, _stranger = family
    with schema_context("school_a"), pytest.raises(services.NotAllowed, match="major"):
        services.child_password_set(parent=parent, child=adult, password=NEW)


def test_not_by_someone_who_is_not_a_parent(family, teacher):
    _parent, minor, _adult, _stranger = family
    with schema_context("school_a"), pytest.raises(services.NotAllowed):
        services.child_password_set(parent=teacher, child=minor, password=NEW)


def test_a_weak_password_is_refused(family):
    parent, minor, _adult, _stranger = family
    with schema_context("school_a"), pytest.raises(ValidationError):
        services.child_password_set(parent=parent, child=minor, password="123")


@pytest.mark.parametrize(
    ("born", "on", "minor"),
    [(date(2008, 11, 24), date(2026, 11, 23), True), (date(2008, 11, 23), date(2026, 11, 23), False),
     (date(2008, 2, 29), date(2026, 2, 28), False), (None, date(2026, 1, 1), False)],
)  # fmt: skip
def test_who_is_a_minor(born, on, minor):
    assert User(birth_date=born).is_minor(on) is minor
