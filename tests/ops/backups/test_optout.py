"""Switching the daily incremental backup off: only for a school whose contract ended;
the daily dispatch then skips it while it stays ended, and the monthly full goes on."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError

from audit.actions import Action
from audit.models import AuditEvent
from ops import selectors, tasks
from ops.backups.optout import (
    OPT_IN_NOTHING,
    OPT_OUT_ALREADY,
    OPT_OUT_NOT_ENDED,
    OPT_OUT_REASON_REQUIRED,
    backup_incremental_opt_in,
    backup_incremental_opt_out,
)
from ops.models import IncrementalOptOut
from provisioning.lifecycle import school_transition
from tenants.models import School
from tests.backup_fixtures import backup_command as backup


def ended(school: School) -> School:
    school_transition(school=school, to=School.Status.ENDED, actor="tests", reason="contract încheiat")
    school.refresh_from_db()
    return school


def test_an_active_school_cannot_switch_its_daily_incremental_off(school_a):
    with pytest.raises(ValidationError) as refused:
        backup_incremental_opt_out(school=school_a, actor="tests", reason="nu mai are nevoie")
    assert refused.value.messages == [OPT_OUT_NOT_ENDED % {"school": school_a.name, "status": "Activă"}]
    assert "contractul încheiat" in refused.value.messages[0]
    assert not IncrementalOptOut.objects.exists()


def test_a_suspended_school_cannot_either(school_a):
    school_transition(school=school_a, to=School.Status.SUSPENDED, actor="tests", reason="neplată")
    school_a.refresh_from_db()
    with pytest.raises(ValidationError, match="Suspendată"):
        backup_incremental_opt_out(school=school_a, actor="tests", reason="nu mai are nevoie")
    assert not IncrementalOptOut.objects.exists()


def test_an_ended_school_opts_out_and_the_daily_dispatch_skips_it_while_the_monthly_full_goes_on(school_a, school_b):
    opt_out = backup_incremental_opt_out(school=ended(school_a), actor="operator", reason="contract încheiat")

    assert opt_out.ended_at is None and opt_out.started_by == "operator"
    event = AuditEvent.objects.filter(action=Action.BACKUP_OPTED_OUT).latest("seq")  # the control plane's trail
    assert (event.object_id, event.reason) == (str(school_a.pk), "contract încheiat")
    incremental = selectors.schools_to_back_up(kind="incremental")
    assert school_a.pk not in incremental and school_b.pk in incremental
    assert {school_a.pk, school_b.pk} <= set(selectors.schools_to_back_up(kind="full"))


def test_a_renewed_contract_brings_the_daily_incremental_back(school_a):
    backup_incremental_opt_out(school=ended(school_a), actor="operator", reason="contract încheiat")
    school_transition(school=school_a, to=School.Status.ACTIVE, actor="tests", reason="contract reînnoit")
    assert school_a.pk in selectors.schools_to_back_up(kind="incremental")


def test_opting_in_closes_the_opt_out_and_the_school_is_backed_up_daily_again(school_a):
    backup_incremental_opt_out(school=ended(school_a), actor="operator", reason="contract încheiat")
    closed = backup_incremental_opt_in(school=school_a, actor="operator")
    assert closed.ended_at is not None and closed.ended_by == "operator"
    assert AuditEvent.objects.filter(action=Action.BACKUP_OPTED_IN, object_id=str(school_a.pk)).exists()
    assert school_a.pk in selectors.schools_to_back_up(kind="incremental")
    with pytest.raises(ValidationError) as refused:
        backup_incremental_opt_in(school=school_a, actor="operator")
    assert refused.value.messages == [OPT_IN_NOTHING % {"school": school_a.name}]


def test_an_opt_out_needs_a_reason_and_happens_once(school_a):
    ended(school_a)
    with pytest.raises(ValidationError) as refused:
        backup_incremental_opt_out(school=school_a, actor="operator", reason="  ")
    assert refused.value.messages == [str(OPT_OUT_REASON_REQUIRED)]
    backup_incremental_opt_out(school=school_a, actor="operator", reason="contract încheiat")
    with pytest.raises(ValidationError) as again:
        backup_incremental_opt_out(school=school_a, actor="operator", reason="contract încheiat")
    assert again.value.messages == [OPT_OUT_ALREADY % {"school": school_a.name}]
    assert IncrementalOptOut.objects.filter(school=school_a).count() == 1


def test_the_command_refuses_an_active_school_with_exit_status_1_and_lists_an_opt_out(school_a):
    with pytest.raises(CommandError, match=r"opt-out refused: .*contractul încheiat") as refused:
        backup("opt-out", "--school", school_a.slug, "--reason", "nu mai are nevoie")
    assert refused.value.returncode == 1 and not IncrementalOptOut.objects.exists()

    ended(school_a)
    assert "switched off" in backup("opt-out", "--school", school_a.slug, "--reason", "contract încheiat")
    assert "daily incremental switched off since" in backup("list", "--school", school_a.slug)
    assert "switched on" in backup("opt-in", "--school", school_a.slug)


def test_the_jobs_module_names_the_same_backed_up_statuses_as_the_selectors():
    assert tuple(tasks.BACKED_UP) == selectors.BACKED_UP
