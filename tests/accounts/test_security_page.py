"""The security page: one's own devices, removable, but never the last for a role that needs 2FA."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from accounts import two_factor
from tests.accounts.conftest import login, sign_in_with_2fa


def test_a_student_switches_2fa_on_from_the_profile_and_off_again(client_a, student):
    login(client_a, student.username)
    page = client_a.get("/cont/securitate/").content.decode()
    assert "Nu este activată" in page
    assert "/cont/2fa/inrolare/" in page
    with schema_context("school_a"):
        device = TOTPDevice.objects.create(user=student, name="App", confirmed=True)
    # An enrolled user now verifies before anything else; then removes the app.
    with schema_context("school_a"):
        code = two_factor.backup_codes_generate(user=student)[0]
    client_a.post("/cont/2fa/verificare/", {"token": code})
    response = client_a.post("/cont/securitate/", {"device": device.persistent_id})
    assert response.status_code == 302
    with schema_context("school_a"):
        assert not TOTPDevice.objects.filter(user=student).exists()


def test_a_teacher_cannot_remove_the_last_second_factor(client_a, teacher):
    sign_in_with_2fa(client_a, teacher)
    with schema_context("school_a"):
        device = TOTPDevice.objects.create(user=teacher, name="App", confirmed=True)
    response = client_a.post("/cont/securitate/", {"device": device.persistent_id}, follow=True)
    assert "adăugați întâi altă metodă" in response.content.decode()
    with schema_context("school_a"):
        assert TOTPDevice.objects.filter(user=teacher).exists()


@pytest.mark.parametrize("device", ["", "otp_totp.totpdevice/99999", "x" * 500])
def test_someone_elses_or_a_made_up_device_is_a_404(client_a, teacher, device):
    sign_in_with_2fa(client_a, teacher)
    assert client_a.post("/cont/securitate/", {"device": device}).status_code == 404
