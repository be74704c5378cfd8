"""audit_record writes inside the caller's transaction: the change and its event stand
or fall together. Row history (triggers) catches even raw SQL, with the context attached."""

import pytest
from django.db import DataError, connection, transaction
from django_tenants.utils import schema_context

from accounts import services
from accounts.models import User
from accounts.roles import Role
from audit.actions import Action
from audit.models import ActorKind, AuditEvent, Source
from audit.services import audit_context, audit_record
from tests.accounts.conftest import make_user


class Boom(Exception):
    pass


@pytest.fixture
def secretary(school_a):
    return make_user(school_a.schema_name, "secretara.audit", [Role.SCHOOL_ADMIN])


@pytest.fixture
def teacher(school_a):
    return make_user(school_a.schema_name, "ion.profesor", [Role.TEACHER], first_name="Ion", last_name="Pop")


def change_roles(secretary, teacher, roles):
    return services.user_update(
        actor=secretary, user=teacher, first_name="Ion", last_name="Pop", roles=roles, email=teacher.email
    )


def test_a_failure_inside_the_audited_transaction_leaves_neither_the_change_nor_the_event(secretary, teacher):
    with schema_context("school_a"):
        events = AuditEvent.objects.count()
        with pytest.raises(Boom), transaction.atomic():
            change_roles(secretary, teacher, [Role.TEACHER, Role.HOMEROOM])
            raise Boom
        assert User.objects.get(pk=teacher.pk).roles == [Role.TEACHER]
        assert AuditEvent.objects.count() == events


def test_if_the_event_cannot_be_written_the_change_fails_too(secretary, teacher, monkeypatch):
    monkeypatch.setattr("audit.services.text_hash", lambda text: "x" * 65)  # too long for its column
    with schema_context("school_a"):
        with pytest.raises(DataError), transaction.atomic():
            change_roles(secretary, teacher, [Role.TEACHER, Role.HOMEROOM])
        assert User.objects.get(pk=teacher.pk).roles == [Role.TEACHER]


def test_a_role_change_is_recorded_with_who_old_and_new_values(secretary, teacher):
    with schema_context("school_a"):
        change_roles(secretary, teacher, [Role.TEACHER, Role.HOMEROOM])
        event = AuditEvent.objects.filter(action=Action.USER_CHANGED).latest("seq")
    assert (event.actor_id, event.actor_kind, event.actor_roles) == (secretary.pk, ActorKind.USER, "school_admin")
    assert (event.person_id, event.person_name) == (teacher.pk, "Ion Pop (ion.profesor)")
    assert event.old_values == {"roles": ["teacher"]}
    assert event.new_values == {"roles": ["homeroom", "teacher"]}


def test_a_raw_sql_update_of_an_audited_model_still_leaves_a_history_row(teacher):
    with schema_context("school_a"), audit_context(source=Source.CLI, actor_label="cli:repair", reason="corecție"):
        with connection.cursor() as cursor:
            cursor.execute("UPDATE accounts_user SET roles = %s WHERE id = %s", [["teacher", "director"], teacher.pk])
        history = teacher.history.order_by("pgh_id").last()
        assert (history.pgh_label, history.roles) == ("update", ["teacher", "director"])
        assert history.pgh_context["reason"] == "corecție"
        assert history.pgh_context["actor"] == "system:cli:repair"


def test_changes_in_one_audit_context_share_its_id_and_metadata(teacher, secretary):
    with schema_context("school_a"):
        with audit_context(source=Source.PAGE, request_id="req-0123456789"):
            User.objects.filter(pk=teacher.pk).update(first_name="Ioan")
            User.objects.filter(pk=secretary.pk).update(first_name="Maria")
        first, second = (user.history.get(pgh_label="update") for user in (teacher, secretary))
    assert first.pgh_context_id is not None and first.pgh_context_id == second.pgh_context_id
    assert first.pgh_context == second.pgh_context
    assert first.pgh_context["request_id"] == "req-0123456789"


def test_a_bulk_update_leaves_a_history_row_per_user(teacher, secretary):
    with schema_context("school_a"):
        User.objects.filter(pk__in=[teacher.pk, secretary.pk]).update(is_active=False)
        assert [h.is_active for h in teacher.history.order_by("pgh_id")][-1] is False
        assert secretary.history.filter(pgh_label="update", is_active=False).exists()


def test_password_hashes_are_not_copied_into_history(teacher):
    with schema_context("school_a"):
        teacher.set_password("Alta-Parola-Lunga-1")
        teacher.save()
        assert not teacher.history.filter(pgh_label="update").exists()
        assert "password" not in {f.name for f in teacher.history.model._meta.fields}


def test_a_job_records_itself_as_the_actor(db):
    with schema_context("school_a"), audit_context(actor_kind=ActorKind.JOB, actor_label="job:nightly"):
        audit_record(action=Action.LOGIN)
        event = AuditEvent.objects.latest("seq")
    assert (event.actor_kind, event.actor_name, event.source) == ("job", "job:nightly", "job")
