"""GDPR art. 13 (Order 3896/2023 art. 12(2)): the school publishes its privacy notice (the
provider's template with the school's parts), versioned and never edited; whoever signs in
while a version waits for them reads it first, and their acceptance is recorded."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEvent
from catalog.privacy import notices
from catalog.privacy.models import NoticeAcceptance, PrivacyNotice

PARTS = {
    "controller": "Școala Gimnazială nr. 1, str. Școlii 1, Iași", "dpo_contact": "Ana Pop, dpo@scoala1.ro",
    "purposes": "Catalogul.", "legal_basis": "Legea 198/2023.", "retention": "Conform arhivării.",
    "recipients": "Ministerul Educației.",
}  # fmt: skip


def test_versions_are_published_never_edited_by_the_secretariat_or_the_management(cast):
    for who in (cast.mihai, cast.parent, cast.stats):
        with pytest.raises(PermissionDenied):
            notices.notice_publish(actor=who, **PARTS)
    with pytest.raises(ValidationError, match="toate părțile"):
        notices.notice_publish(actor=cast.admin, **(PARTS | {"dpo_contact": " "}))
    first = notices.notice_publish(actor=cast.admin, **PARTS)
    second = notices.notice_publish(actor=cast.director, **(PARTS | {"retention": "Zece ani."}))
    assert (first.version, second.version) == (1, 2) and notices.notice_current() == second
    first.refresh_from_db()
    assert first.retention == "Conform arhivării."  # the old version stays as it was
    assert AuditEvent.objects.filter(action="privacy.notice_published").count() == 2


def test_whoever_signs_in_reads_the_new_version_first_and_accepts_it_once(cast, as_user):
    assert as_user(cast.parent).get("/").status_code == 200  # no notice yet: nothing in the way
    notice = notices.notice_publish(actor=cast.admin, **PARTS)
    page = as_user(cast.parent)  # a new sign-in
    response = page.get(f"/elevi/{cast.ana.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/confidentialitate/?next=")
    text = page.get(response["Location"]).content.decode()
    assert "Ana Pop, dpo@scoala1.ro" in text and "Am citit nota de informare" in text
    accepted = page.post("/confidentialitate/acceptare/", {"next": f"/elevi/{cast.ana.pk}/"})
    assert accepted["Location"] == f"/elevi/{cast.ana.pk}/"
    assert page.get(f"/elevi/{cast.ana.pk}/").status_code == 200
    assert NoticeAcceptance.objects.get(user=cast.parent).notice == notice
    assert AuditEvent.objects.get(action="privacy.notice_accepted").person_id == cast.parent.pk
    assert as_user(cast.parent).get("/").status_code == 200  # accepted: not asked again at the next sign-in
    notices.notice_publish(actor=cast.admin, **(PARTS | {"purposes": "Catalogul și documentele."}))
    assert as_user(cast.parent).get("/").status_code == 302  # a new version: asked again
    assert NoticeAcceptance.objects.filter(user=cast.parent).count() == 1


def test_the_notice_is_public_and_a_foreign_next_is_ignored(cast, as_user, client_a):
    notices.notice_publish(actor=cast.admin, **PARTS)
    assert "Ana Pop, dpo@scoala1.ro" in client_a.get("/confidentialitate/").content.decode()
    page = as_user(cast.elena)
    response = page.post("/confidentialitate/acceptare/", {"next": "https://rau.example/"})
    assert response["Location"] == "/"
    assert page.get("/").status_code == 200


def test_the_secretariat_publishes_from_the_configuration_page(cast, as_user):
    assert as_user(cast.mihai).get("/configurare/confidentialitate/").status_code == 404
    page = as_user(cast.admin)
    form = page.get("/configurare/confidentialitate/").content.decode()
    assert "Legea învățământului preuniversitar nr. 198/2023" in form  # the provider's template
    refused = page.post("/configurare/confidentialitate/", PARTS | {"controller": ""})
    assert refused.status_code == 400 and not PrivacyNotice.objects.exists()
    assert page.post("/configurare/confidentialitate/", PARTS).status_code == 302
    assert PrivacyNotice.objects.get().published_by == cast.admin
