"""The year-end archive: sealed at the director's close with a fresh 2FA code, verified file by
file against its manifest and the audit chain, immutable; a closed year is reopened only by
the director, and closing it again makes a new version."""

import hashlib
import json

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice

from accounts.services import NotAllowed
from audit.models import AuditEvent
from catalog.reports import archive
from catalog.reports.models import YearArchive
from catalog.structure import services as structure
from catalog.structure.identity import SchoolIdentity
from catalog.structure.models import Level
from catedra.objectstore import StorageError, backup_storage

VERIFY = "https://school-a.localhost/verificare/"


@pytest.fixture
def codes_of(cast):
    """give(user) -> a fresh backup code of `user`."""
    made = iter(range(1, 1000))

    def give(user) -> str:
        device, _created = StaticDevice.objects.get_or_create(user=user, name="arhiva", defaults={"confirmed": True})
        code = f"arhiva{next(made)}"
        device.token_set.create(token=code)
        return code

    return give


def _build(found: YearArchive, school_a) -> YearArchive:
    """What the job does (a test's transaction never commits, so on_commit never sends it)."""
    return archive.archive_build(archive_id=found.pk, school=SchoolIdentity.of(school_a), verify_url=VERIFY)


def test_the_close_seals_an_archive_that_verifies_and_names_a_changed_file(cast, next_year, school_a, codes_of,
                                                                           local_storage):  # fmt: skip
    school = SchoolIdentity.of(school_a)
    with pytest.raises(ValidationError):
        archive.year_close_sealed(actor=cast.director, year=next_year, token="000000", school=school, verify_url=VERIFY)
    next_year.refresh_from_db()
    assert not next_year.is_closed and not YearArchive.objects.exists()
    with pytest.raises(NotAllowed):
        archive.year_close_sealed(actor=cast.admin, year=next_year, token=codes_of(cast.admin), school=school,
                                  verify_url=VERIFY)  # fmt: skip

    sealed = _build(archive.year_close_sealed(actor=cast.director, year=next_year, token=codes_of(cast.director),
                                              school=school, verify_url=VERIFY), school_a)  # fmt: skip
    next_year.refresh_from_db()
    assert next_year.is_closed and sealed.status == "sealed" and sealed.version == 1
    assert [entry["name"] for entry in sealed.files] == ["statistici.pdf"]
    event = AuditEvent.objects.filter(action="archive.sealed").latest("seq")
    assert event.new_values["manifest_sha256"] == sealed.manifest_sha256 and event.new_values["signed_off_with"]
    assert archive.archive_verify(sealed) == []

    store, key = backup_storage(), f"{sealed.prefix}/statistici.pdf"
    changed = bytearray(store.get(key))
    changed[len(changed) // 2] ^= 1
    (local_storage / key).write_bytes(bytes(changed))
    assert archive.archive_verify(sealed) == ["statistici.pdf: conținutul a fost modificat"]


def test_a_closed_year_refuses_writes_until_the_director_reopens_it_and_a_new_close_is_version_2(
    cast, next_year, school_a, codes_of, local_storage
):
    school = SchoolIdentity.of(school_a)
    first = archive.year_close_sealed(actor=cast.director, year=next_year, token=codes_of(cast.director),
                                      school=school, verify_url=VERIFY)  # fmt: skip
    _build(first, school_a)
    with pytest.raises(ValidationError):
        structure.class_create(actor=cast.admin, year=next_year, level=Level.V, letter="Z")
    with pytest.raises(ValidationError):
        archive.year_reopen(actor=cast.director, year=next_year, reason="", token=codes_of(cast.director))
    with pytest.raises(NotAllowed):
        archive.year_reopen(actor=cast.admin, year=next_year, reason="corectură", token=codes_of(cast.admin))
    archive.year_reopen(actor=cast.director, year=next_year, reason="o medie greșită", token=codes_of(cast.director))
    structure.class_create(actor=cast.admin, year=next_year, level=Level.V, letter="Z")
    assert AuditEvent.objects.filter(action="year.reopened").exists()
    # The class made meanwhile has no results: closing again waits for it.
    with pytest.raises(ValidationError):
        archive.year_close_sealed(actor=cast.director, year=next_year, token=codes_of(cast.director), school=school,
                                  verify_url=VERIFY)  # fmt: skip


def test_the_archive_of_a_year_holds_every_class_catalog_and_never_replaces_a_file(cast, school_a, local_storage):
    found = YearArchive.objects.create(year=cast.year, version=1, requested_by=cast.director,
                                       signed_off_at=timezone.now(), signed_off_with="StaticDevice",
                                       total=3)  # fmt: skip
    sealed = _build(found, school_a)
    names = [entry["name"] for entry in sealed.files]
    assert names == ["catalog-03A.pdf", "catalog-05A.pdf", "catalog-06B.pdf", "statistici.pdf"] and sealed.done == 3
    manifest = backup_storage().get(f"{sealed.prefix}/manifest.json")
    assert hashlib.sha256(manifest).hexdigest() == sealed.manifest_sha256
    assert [entry["name"] for entry in json.loads(manifest)["files"]] == names
    assert archive.archive_verify(sealed) == []
    with pytest.raises(StorageError):  # a sealed file is never written over
        backup_storage().put_new(f"{sealed.prefix}/catalog-05A.pdf", b"%PDF- altered")
    assert archive.archive_verify(sealed) == []


def test_management_downloads_and_checks_an_archive_others_get_404(cast, school_a, as_user, local_storage):
    found = YearArchive.objects.create(year=cast.year, version=1, requested_by=cast.director,
                                       signed_off_at=timezone.now(), signed_off_with="StaticDevice",
                                       total=3)  # fmt: skip
    _build(found, school_a)
    page = as_user(cast.director)
    listing = page.get("/arhive/")
    assert listing.status_code == 200 and "catalog-05A.pdf" in listing.content.decode()
    download = page.get(f"/arhive/{found.pk}/catalog-05A.pdf")
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    assert page.get(f"/arhive/{found.pk}/../../etc/passwd").status_code == 404
    assert page.get(f"/arhive/{found.pk}/other.pdf").status_code == 404
    checked = page.post(f"/arhive/{found.pk}/verificare/", follow=True)
    assert "Arhiva este întreagă" in checked.content.decode()
    for who in (cast.admin, cast.mihai, cast.parent):
        assert as_user(who).get("/arhive/").status_code == 404


def test_a_director_with_a_passkey_signs_off_with_it_once_within_minutes(
    cast, next_year, school_a, codes_of, as_user, local_storage, monkeypatch
):
    from tests.accounts.test_passkeys import HOST_A, enrol_passkey, verify_with

    _build(archive.year_close_sealed(actor=cast.director, year=next_year, token=codes_of(cast.director),
                                     school=SchoolIdentity.of(school_a), verify_url=VERIFY), school_a)  # fmt: skip
    page = as_user(cast.director)
    authenticator = enrol_passkey(page, HOST_A)
    listing = page.get("/arhive/").content.decode()
    assert 'data-testid="passkey-verify"' in listing and 'data-testid="passkey-fresh"' not in listing
    refused = page.post(f"/ani/{next_year.pk}/redeschidere/", {"reason": "o medie greșită"}, follow=True)
    assert "Codul de autentificare" in refused.content.decode()  # no code, no fresh passkey: refused
    next_year.refresh_from_db()
    assert next_year.is_closed

    assert verify_with(page, authenticator, HOST_A).json() == {"verified": True}
    assert 'data-testid="passkey-fresh"' in page.get("/arhive/").content.decode()
    page.post(f"/ani/{next_year.pk}/redeschidere/", {"reason": "o medie greșită"})

    next_year.refresh_from_db()
    assert not next_year.is_closed
    event = AuditEvent.objects.filter(action="year.reopened").latest("seq")
    assert event.new_values["signed_off_with"] == "WebAuthnCredential"
    assert 'data-testid="passkey-fresh"' not in page.get("/arhive/").content.decode()  # used once

    # A passkey confirmed more than five minutes ago signs nothing.
    import time

    from accounts import two_factor

    assert verify_with(page, authenticator, HOST_A).json() == {"verified": True}
    signed_at = time.time()
    monkeypatch.setattr(two_factor.time, "time", lambda: signed_at + two_factor.FRESH_SECONDS + 1)
    assert 'data-testid="passkey-fresh"' not in page.get("/arhive/").content.decode()
