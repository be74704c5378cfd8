"""Onboarding a school: validation, recorded steps, undo on failure, retry, races."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from accounts.models import User
from accounts.services import username_for
from provisioning import services
from provisioning.models import ProvisioningJob, ProvisioningStep, SchoolTransition
from tenants.models import Domain, School
from tenants.schemas import schema_drop
from tests.backup_fixtures import school_remove
from tests.conftest import host_client

STEP_NAMES = [name for name, _step in services.STEPS]


def request_fields(**overrides) -> dict:
    fields = {
        "name": "Școala Gimnazială „Ștefan cel Mare” Târgu Neamț",
        "slug": "scoala-stefan",
        "siiir_code": "2761100005",
        "cui": "RO 4267117",
        "county": "nt",
        "locality": "Târgu Neamț",
        "admin_name": "Ștefania Țurcanu",
        "admin_email": "Secretariat@Scoala-Stefan.test",
        "requested_by": "tests",
    }
    fields.update(overrides)
    return fields


def provision(**overrides) -> ProvisioningJob:
    job = services.school_provision_request(**request_fields(**overrides))
    return services.provisioning_job_run(job_id=job.pk)


def nothing_made(slug: str = "scoala-stefan") -> bool:
    schema = slug.replace("-", "_")
    return (
        not School.objects.filter(slug=slug).exists()
        and not schema_exists(schema)
        and not Domain.objects.filter(domain__startswith=f"{slug}.").exists()
    )


def test_a_school_is_made_step_by_step_and_its_admin_is_invited(db, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = provision()
    school = job.school
    assert job.state == ProvisioningJob.State.SUCCEEDED
    assert [(s.name, s.state) for s in job.steps.all()] == [(name, "succeeded") for name in STEP_NAMES]
    assert school.status == School.Status.ACTIVE
    assert (school.cui, school.county) == ("4267117", "NT")
    assert Domain.objects.get(tenant=school).domain == "scoala-stefan.localhost"
    with schema_context(school.schema_name):
        admin = User.objects.get()
        assert (admin.username, admin.email, admin.has_usable_password()) == (
            "stefania.turcanu", "secretariat@scoala-stefan.test", False
        )  # fmt: skip
    assert [m.to for m in mailoutbox] == [["secretariat@scoala-stefan.test"]]
    assert "http://scoala-stefan.localhost:8000/invitatie/" in mailoutbox[0].body
    assert list(school.transitions.values_list("from_status", "to_status")) == [("provisioning", "active")]
    page = host_client("scoala-stefan.localhost").get("/")
    assert "Școala Gimnazială „Ștefan cel Mare” Târgu Neamț" in page.content.decode()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"slug": "ab"}, "slug"),
        ({"slug": "www"}, "slug"),
        ({"slug": "school-a"}, "slug"),  # taken
        ({"slug": "x; DROP SCHEMA public"}, "slug"),
        ({"slug": "Scoala-Mare"}, "slug"),
        ({"cui": "4267118"}, "cui"),
        ({"cui": ""}, "cui"),
        ({"siiir_code": "0361100001"}, "siiir_code"),  # school A's
        ({"siiir_code": "12345"}, "siiir_code"),
        ({"name": "Ș" * 201}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "Școala\x00nr. 1"}, "name"),
        ({"locality": "x" * 121}, "locality"),
        ({"admin_email": ""}, "admin_email"),
        ({"admin_email": "not-an-email"}, "admin_email"),
        ({"admin_name": ""}, "admin_name"),
        ({"county": "XX"}, "county"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_made(db, overrides, field):
    schools_before = School.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.school_provision_request(**request_fields(**overrides))
    assert field in refused.value.message_dict
    assert all(refused.value.message_dict[field])
    assert School.objects.count() == schools_before
    assert nothing_made()


def test_a_contract_must_end_after_it_starts(db):
    from datetime import date

    with pytest.raises(ValidationError) as refused:
        services.school_provision_request(
            **request_fields(contract_start=date(2026, 9, 1), contract_end=date(2026, 8, 31))
        )
    assert "contract_end" in refused.value.message_dict


@pytest.mark.parametrize("failing_step", STEP_NAMES)
def test_a_failure_at_any_step_leaves_no_half_made_school_and_a_retry_succeeds(real_db, monkeypatch, failing_step):
    # Real commits: the undo drops the schema through the owner's connection, which would wait
    # for the locks a test transaction holds in it.
    def boom(job):
        raise RuntimeError(f"injected failure in {failing_step}")

    steps = services.STEPS
    monkeypatch.setattr(services, "STEPS", [(name, boom if name == failing_step else step) for name, step in steps])
    job = provision()
    school = School.objects.get(pk=job.school_id)
    try:
        failure_then_retry(school, job, failing_step, steps, monkeypatch)
    finally:
        ProvisioningJob.objects.filter(school=school).delete()
        school_remove(school)


def failure_then_retry(school, job, failing_step, steps, monkeypatch) -> None:
    assert job.state == ProvisioningJob.State.FAILED
    assert f"{failing_step}: RuntimeError: injected failure" in job.error
    assert job.steps.get(name=failing_step).state == ProvisioningStep.State.FAILED
    assert school.status == School.Status.FAILED
    assert not schema_exists(school.schema_name)
    assert not Domain.objects.filter(tenant=school).exists()

    monkeypatch.setattr(services, "STEPS", steps)
    retry = services.provisioning_job_retry(school=school, requested_by="tests")
    retry = services.provisioning_job_run(job_id=retry.pk)
    assert (retry.attempt, retry.state) == (2, ProvisioningJob.State.SUCCEEDED)
    school.refresh_from_db()
    assert school.status == School.Status.ACTIVE
    assert list(school.transitions.values_list("to_status", flat=True)) == ["failed", "provisioning", "active"]


def test_running_a_job_again_changes_nothing(db):
    job = provision()
    again = services.provisioning_job_run(job_id=job.pk)
    assert again.steps.count() == len(STEP_NAMES)
    assert SchoolTransition.objects.filter(school=job.school).count() == 1


def test_every_step_is_idempotent(db):
    job = provision()
    for _name, step in services.STEPS[:3]:  # schema, domain, admin: safe to repeat
        step(job)
    assert Domain.objects.filter(tenant=job.school).count() == 1
    with schema_context(job.school.schema_name):
        assert User.objects.count() == 1


def test_a_username_is_made_from_the_name_without_diacritics_and_kept_unique(client_a, school_a):
    with schema_context(school_a.schema_name):
        User.objects.create(username="ana.popescu")
        assert username_for("Ana Popescu") == "ana.popescu2"
        assert username_for("Ștefan Țăranu-Bîrlădeanu") == "stefan.taranu.birladeanu"
        assert username_for("李") == "utilizator"


@pytest.mark.slow
def test_five_concurrent_requests_for_one_slug_make_one_school(django_db_setup, django_db_blocker):
    outcomes: list[str] = []
    barrier = threading.Barrier(5)

    def request(n: int) -> None:
        barrier.wait()
        try:
            services.school_provision_request(
                **request_fields(slug="scoala-grabita", siiir_code=f"276110010{n}"), queue=False
            )
            outcomes.append("made")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    with django_db_blocker.unblock():
        try:
            threads = [threading.Thread(target=request, args=(n,)) for n in range(5)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert sorted(outcomes) == ["made", "refused", "refused", "refused", "refused"]
            assert School.objects.filter(slug="scoala-grabita").count() == 1
        finally:
            for school in School.objects.filter(slug="scoala-grabita"):
                schema_drop(school.schema_name)
                school.provisioning_jobs.all().delete()
                school.delete()
