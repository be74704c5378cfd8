"""A real browser (headless Chromium) at phone width: a teacher signs in, enrols an
authenticator app from the secret the page shows, verifies, and reaches the school."""

import os
import shutil
import textwrap

import pyotp
import pytest

from tests.helpers import MakeRun, clean_env, free_port, run_catedra

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PHONE = {"width": 375, "height": 812}
PASSWORD = "Tabla-Verde-2026!"
MAKE_TEACHER = textwrap.dedent(
    f"""
    from django_tenants.utils import schema_context
    from accounts.models import User
    with schema_context("demo"):
        user = User(username="ioana.profesoara", roles=["teacher"])
        user.set_password("{PASSWORD}")
        user.save()
    """
)


@pytest.fixture
def running_stack(tmp_path):
    if not CHROMIUM:
        if os.environ.get("CATEDRA_BROWSER_TESTS") == "off":
            pytest.skip("CATEDRA_BROWSER_TESTS=off")
        pytest.fail("Chromium is missing: `make browser` installs it (CATEDRA_BROWSER_TESTS=off skips these tests).")
    run = MakeRun(tmp_path / "data", free_port())
    run.start()
    made = run_catedra("shell", "-c", MAKE_TEACHER, env=clean_env(CATEDRA_DATA_DIR=str(run.data_dir)))
    assert made.returncode == 0, made.stderr
    yield run
    run.interrupt()


@pytest.fixture
def phone(running_stack):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        page = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
        yield page
        browser.close()


def no_horizontal_scroll(page) -> bool:
    """Nothing sticks out of the phone's width. (A mobile browser zooms a page that is too wide
    out to fit, which widens innerWidth with it: innerWidth must still be the phone's width.)"""
    width = page.viewport_size["width"]
    return page.evaluate(f"document.documentElement.scrollWidth <= {width} && window.innerWidth <= {width}")


def test_a_teacher_enrols_totp_and_reaches_the_school_on_a_phone(running_stack, phone, tmp_path):
    base = f"http://demo.localhost:{running_stack.port}"
    phone.goto(f"{base}/cont/login/")
    assert no_horizontal_scroll(phone)
    phone.fill("input[name=login]", "ioana.profesoara")
    phone.fill("input[name=password]", PASSWORD)
    phone.click("main button[type=submit]")

    phone.wait_for_url("**/cont/2fa/inrolare/**")
    assert no_horizontal_scroll(phone)
    assert phone.locator(".qr svg").is_visible()
    secret = phone.inner_text("[data-testid=totp-secret]").replace(" ", "")
    phone.fill("input[name=token]", pyotp.TOTP(secret).now())
    phone.click("main button[type=submit]")  # the header's menu has its own forms

    assert phone.locator("[data-testid=backup-codes] li").count() == 10
    phone.screenshot(path=str(tmp_path / "backup-codes.png"), full_page=True)
    phone.click("text=Continuă")
    phone.wait_for_url(f"{base}/")
    assert "Ion Creangă" in phone.inner_text("h1")
    assert no_horizontal_scroll(phone)
