"""The school lifecycle: legal transitions recorded, illegal ones refused with a reason."""

from datetime import date

import pytest
from django.utils import timezone
from django_tenants.utils import schema_exists

from ops.backups.retention import retention_ends
from provisioning.lifecycle import LifecycleError, school_transition
from tenants.models import School
from tests.conftest import SCHOOL_A, host_client

S = School.Status


def move(school, to, reason="contract", actor="provider:ioana"):
    return school_transition(school=school, to=to, actor=actor, reason=reason)


def test_each_transition_is_recorded_with_who_when_and_why(school_a):
    move(school_a, S.SUSPENDED, reason="factură neplătită")
    move(school_a, S.ACTIVE, reason="plată primită")
    move(school_a, S.ENDED, reason="contract încheiat")
    school_a.refresh_from_db()
    assert school_a.status == S.ENDED
    records = list(school_a.transitions.order_by("id").values_list("from_status", "to_status", "actor", "reason"))
    assert records[-3:] == [
        ("active", "suspended", "provider:ioana", "factură neplătită"),
        ("suspended", "active", "provider:ioana", "plată primită"),
        ("active", "ended", "provider:ioana", "contract încheiat"),
    ]
    assert school_a.transitions.last().at <= timezone.now()


def test_ending_starts_the_retention_clock_and_a_renewal_stops_it(school_a):
    move(school_a, S.ENDED, reason="contract încheiat")
    school_a.refresh_from_db()
    assert school_a.ended_on == timezone.localdate()
    assert retention_ends(school_a) is not None
    move(school_a, S.ACTIVE, reason="contract reînnoit")
    school_a.refresh_from_db()
    assert school_a.ended_on is None and retention_ends(school_a) is None


def test_a_school_purged_before_its_retention_ends_is_refused(school_a):
    move(school_a, S.ENDED, reason="contract încheiat")
    school_a.refresh_from_db()
    School.objects.filter(pk=school_a.pk).update(status=S.ARCHIVED)
    school_a.refresh_from_db()
    with pytest.raises(LifecycleError, match="perioada de păstrare"):
        move(school_a, S.PURGED, reason="ștergere")


@pytest.mark.parametrize("to", [S.ARCHIVED, S.PURGED, S.PROVISIONING, S.FAILED, "deleted"])
def test_illegal_transitions_from_active_are_refused_and_nothing_changes(school_a, to):
    transitions_before = school_a.transitions.count()
    with pytest.raises(LifecycleError) as refused:
        move(school_a, to)
    assert "nu poate trece" in refused.value.messages[0]
    school_a.refresh_from_db()
    assert school_a.status == S.ACTIVE
    assert school_a.transitions.count() == transitions_before


def test_suspending_needs_a_reason(school_a):
    with pytest.raises(LifecycleError, match="Motivul este obligatoriu"):
        move(school_a, S.SUSPENDED, reason="  ")


def test_archiving_is_refused_until_a_verified_final_backup_exists(school_a):
    move(school_a, S.ENDED)
    with pytest.raises(LifecycleError, match="copie de siguranță"):
        move(school_a, S.ARCHIVED)
    assert schema_exists(school_a.schema_name)


def test_the_control_plane_has_no_lifecycle(db):
    with pytest.raises(LifecycleError):
        move(School.objects.get(schema_name="public"), S.SUSPENDED)


@pytest.mark.parametrize(
    ("end", "expected"),
    [(date(2026, 8, 31), date(2028, 8, 31)), (date(2024, 2, 29), date(2026, 2, 28)), (None, None)],
)
def test_backups_are_kept_24_months_after_the_contract_ends(end, expected):
    assert retention_ends(School(status=S.ENDED, ended_on=end)) == expected


def test_a_suspended_school_shows_only_an_explanation(school_a, client_a):
    move(school_a, S.SUSPENDED)
    response = client_a.get("/")
    assert response.status_code == 403
    assert "suspendat" in response.content.decode()
    api = host_client(f"{SCHOOL_A}.localhost").get("/api/v1/anything")
    assert api.status_code == 403
    assert api.json()["school_status"] == "suspended"


def test_an_ended_school_can_be_read_but_not_written(school_a, client_a):
    move(school_a, S.ENDED)
    assert client_a.get("/").status_code == 200
    response = client_a.post("/", {"x": "1"})
    assert response.status_code == 403
    assert "doar consultat" in response.content.decode()
