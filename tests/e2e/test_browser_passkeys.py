"""A real browser (headless Chromium with its virtual authenticator) at phone width: a teacher
enrols a passkey at a school's host, signs out, signs in with the password and verifies with
the passkey. The page's script is our own file, allowed by the CSP (no violation is logged)."""

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.e2e.test_browser_two_factor import PASSWORD, no_horizontal_scroll, phone, running_stack  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.browser]

AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
}


def sign_in(page, base: str) -> None:
    page.goto(f"{base}/cont/login/")
    page.fill("input[name=login]", "ioana.profesoara")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")


def ceremony(page, button: str, url: str) -> None:
    """Click a passkey button and wait for the page it leads to; a ceremony that stops says
    what the page showed (a busy two-core machine may take long: 90 s)."""
    page.click(button)
    try:
        page.wait_for_url(url, timeout=90_000)
    except PlaywrightTimeoutError as error:
        status = page.locator("[data-passkey-status]").first.inner_text()
        raise AssertionError(f"the passkey ceremony did not reach {url}; the page says: {status!r}") from error


def test_a_teacher_enrols_a_passkey_and_verifies_with_it_on_a_phone(running_stack, phone, tmp_path):  # noqa: F811
    base = f"http://demo.localhost:{running_stack.port}"
    refused = []
    phone.on(
        "console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None
    )
    cdp = phone.context.new_cdp_session(phone)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})["authenticatorId"]

    sign_in(phone, base)
    phone.wait_for_url("**/cont/2fa/inrolare/**")
    assert no_horizontal_scroll(phone)
    ceremony(phone, "[data-testid=passkey-register]", "**/cont/2fa/cheie-acces/adaugata/**")
    assert phone.locator("[data-testid=backup-codes] li").count() == 10
    assert no_horizontal_scroll(phone)
    phone.click("text=Continuă")
    phone.wait_for_url(f"{base}/")
    assert "Ion Creangă" in phone.inner_text("h1")
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert [c["rpId"] for c in credentials] == ["demo.localhost"]

    phone.goto(f"{base}/cont/logout/")
    phone.click("main button[type=submit]")
    sign_in(phone, base)
    phone.wait_for_url("**/cont/2fa/verificare/**")
    assert no_horizontal_scroll(phone)
    phone.screenshot(path=str(tmp_path / "passkey-verify.png"), full_page=True)
    ceremony(phone, "[data-testid=passkey-verify]", f"{base}/")
    assert "Ion Creangă" in phone.inner_text("h1")
    assert no_horizontal_scroll(phone)
    assert not refused
