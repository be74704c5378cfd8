"""The school's API clients: the service's checks, the page, the command."""

import io
import zipfile
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from accounts.services import NotAllowed
from audit.models import AuditEvent
from catalog.api import clients
from catalog.api.models import ApiClient, ApiKey, Scope
from tests.catalog.api.conftest import api_for


@pytest.mark.parametrize(
    "fields",
    [
        {"scopes": []},
        {"scopes": ["read:everything"]},
        {"scopes": [Scope.PERSONAL]},
        {"networks": ["not-a-network"]},
        {"networks": [f"10.0.{n}.0/24" for n in range(21)]},
        {"expires_on": timezone.localdate()},
        {"rate_per_minute": 0},
        {"name": "   "},
    ],
)
def test_a_client_is_refused_for_bad_fields_and_nothing_is_made(cast, fields):
    with pytest.raises(ValidationError):
        clients.client_create(actor=cast.admin, **{"name": "ISJ", "scopes": [Scope.GRADES], **fields})
    assert not ApiClient.objects.exists()


def test_names_are_unique_whatever_the_case(cast):
    clients.client_create(actor=cast.admin, name="ISJ Iași", scopes=[Scope.GRADES])
    with pytest.raises(ValidationError):
        clients.client_create(actor=cast.admin, name="isj iași", scopes=[Scope.GRADES])


def test_only_the_secretary_and_the_director_manage_clients(cast):
    for who in (cast.mihai, cast.stats, cast.parent):
        with pytest.raises(NotAllowed):
            clients.client_create(actor=who, name="ISJ", scopes=[Scope.GRADES])
    assert clients.client_create(actor=cast.director, name="ISJ", scopes=[Scope.GRADES]).key


def test_only_the_keys_hash_is_kept_and_the_creation_is_audited(cast):
    issued = clients.client_create(actor=cast.admin, name="ISJ", scopes=[Scope.GRADES], networks=["10.0.0.1"])
    stored = ApiKey.objects.get(client=issued.client)
    assert issued.key.startswith(f"cat_{stored.key_id}_") and issued.key not in stored.digest
    assert issued.client.networks == ["10.0.0.1/32"]
    event = AuditEvent.objects.filter(action="api.client_created").latest("seq")
    assert issued.key not in str(event.new_values) and event.new_values["scopes"] == [Scope.GRADES]


def test_rotating_keeps_the_old_key_for_its_grace_period_only(cast, in_school_a):
    issued = clients.client_create(actor=cast.admin, name="ISJ", scopes=[Scope.GRADES])
    rotated = clients.key_rotate(actor=cast.admin, client=issued.client, grace_hours=2)
    assert clients.client_for_key(issued.key) == issued.client == clients.client_for_key(rotated.key)
    ApiKey.objects.exclude(valid_until=None).update(valid_until=timezone.now() - timedelta(seconds=1))
    assert clients.client_for_key(issued.key) is None and clients.client_for_key(rotated.key) == issued.client
    again = clients.key_rotate(actor=cast.admin, client=issued.client)
    assert clients.client_for_key(rotated.key) is None and clients.client_for_key(again.key) == issued.client
    with pytest.raises(ValidationError):
        clients.key_rotate(actor=cast.admin, client=issued.client, grace_hours=1000)


def test_a_revoked_client_cannot_be_changed_or_rotated(cast):
    issued = clients.client_create(actor=cast.admin, name="ISJ", scopes=[Scope.GRADES])
    clients.client_revoke(actor=cast.admin, client=issued.client, reason="contract încheiat")
    assert clients.client_for_key(issued.key) is None
    with pytest.raises(ValidationError):
        clients.key_rotate(actor=cast.admin, client=issued.client)
    with pytest.raises(ValidationError):
        clients.client_change(actor=cast.admin, client=issued.client, scopes=[Scope.GRADES])


# -- the page --------------------------------------------------------------------------------


def test_the_secretary_creates_a_client_and_sees_its_key_once(cast, as_user, in_school_a):
    page = as_user(cast.admin)
    assert page.get("/configurare/api/").status_code == 200
    made = page.post("/configurare/api/", {"name": "ISJ Argeș", "scopes": [Scope.GRADES, Scope.STRUCTURE],
                                          "networks": "10.0.0.0/8\n192.168.1.7", "rate_per_minute": 600})  # fmt: skip
    assert made.status_code == 200 and made["Cache-Control"] == "no-store"
    key = made.context["issued"].key
    assert key in made.content.decode()
    client = ApiClient.objects.get(name="ISJ Argeș")
    assert client.networks == ["10.0.0.0/8", "192.168.1.7/32"]
    assert key not in page.get(f"/configurare/api/{client.pk}/").content.decode()
    assert api_for(in_school_a.schema_name, key)("classes").status_code == 403  # from 127.0.0.1: not allowed


def test_bad_fields_on_the_page_are_a_400_in_romanian(cast, as_user):
    page = as_user(cast.admin)
    refused = page.post("/configurare/api/", {"name": "X", "scopes": [Scope.PERSONAL], "rate_per_minute": 600})
    assert refused.status_code == 400
    assert "read:students" in refused.content.decode() and not ApiClient.objects.exists()


def test_rotate_and_revoke_from_the_page(cast, as_user, in_school_a):
    issued = clients.client_create(actor=cast.admin, name="ISJ", scopes=[Scope.GRADES])
    page = as_user(cast.director)
    rotated = page.post(f"/configurare/api/{issued.client.pk}/cheie-noua/", {"grace_hours": 0})
    assert rotated.status_code == 200 and clients.client_for_key(issued.key) is None
    assert clients.client_for_key(rotated.context["issued"].key) == issued.client
    assert page.post(f"/configurare/api/{issued.client.pk}/revocare/", {"reason": "gata"}).status_code == 302
    issued.client.refresh_from_db()
    assert issued.client.revoked_at is not None


def test_others_get_a_404(cast, as_user):
    for who in (cast.mihai, cast.parent):
        assert as_user(who).get("/configurare/api/").status_code == 404


def test_the_oneroster_bundle_downloads_with_a_post(cast, as_user):
    page = as_user(cast.admin)
    assert page.get("/configurare/api/oneroster/").status_code == 405
    response = page.post("/configurare/api/oneroster/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert {"manifest.csv", "users.csv", "enrollments.csv", "classes.csv"} <= set(names)
    assert AuditEvent.objects.filter(action="api.oneroster_exported").exists()


# -- the command -----------------------------------------------------------------------------


def _command(*args) -> str:
    out = io.StringIO()
    try:
        call_command("api_client", "--school", "school-a", *args, stdout=out)
    finally:
        connection.set_schema("school_a")  # the command leaves the connection on public
    return out.getvalue()


def test_the_command_creates_lists_rotates_and_revokes(cast, in_school_a):
    key = _command("create", "--as", "secretara.scolii", "--name", "SIIIR", "--scope", "read:grades").strip()
    assert clients.client_for_key(key).name == "SIIIR"
    assert "SIIIR\tlive\tread:grades" in _command("list")
    new = _command("rotate", "--as", "secretara.scolii", "--client", "SIIIR").strip()
    assert clients.client_for_key(key) is None and clients.client_for_key(new).name == "SIIIR"
    assert "revoked" in _command("revoke", "--as", "gheorghe.director", "--client", "SIIIR")


@pytest.mark.parametrize(
    "args, code",
    [
        (["create", "--name", "X", "--scope", "read:grades"], 2),
        (["create", "--as", "nobody", "--name", "X", "--scope", "read:grades"], 2),
        (["rotate", "--as", "secretara.scolii", "--client", "missing"], 2),
        (["create", "--as", "mihai.mate", "--name", "X", "--scope", "read:grades"], 1),
        (["create", "--as", "secretara.scolii", "--name", "X"], 1),
        (["create", "--as", "secretara.scolii", "--name", "X", "--scope", "read:grades", "--expires", "soon"], 2),
    ],
)
def test_the_command_refuses_with_its_exit_status(cast, in_school_a, args, code):
    with pytest.raises(CommandError) as refused:
        _command(*args)
    assert refused.value.returncode == code
