"""A real browser (headless Chromium) at phone width on the demo school's configuration pages:
the secretary goes from the home page through every configuration page (and a refused form)
and downloads the SIIIR export; the statistics viewer opens the statistics. None of these pages
scrolls sideways at 375 or 360 px."""

import re

import pytest

from tests.e2e.test_browser_catalog import Phone, browser, phone_page, running_stack  # noqa: F401 - fixtures

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ADMIN = "maria.ionescu"  # the demo school's secretary (school admin)
STATS = "statistici.demo"  # the demo school's statistics viewer
CLASS = "Clasa a V-a A"


def test_the_secretary_configures_on_a_phone_and_no_page_scrolls_sideways(running_stack, browser):  # noqa: F811
    from playwright.sync_api import expect

    base = f"http://demo.localhost:{running_stack.port}"
    visited: list[str] = []
    admin = Phone(phone_page(browser), visited)
    page = admin.page
    admin.sign_in(base, ADMIN, totp=True)

    page.get_by_role("link", name="Configurarea școlii").click()
    page.wait_for_url(f"{base}/configurare/")
    admin.fits("configuration index")

    page.get_by_role("link", name="Discipline").click()
    expect(page.get_by_role("heading", name="Discipline", exact=True)).to_be_visible()
    admin.fits("subjects")

    page.goto(f"{base}/configurare/ani/")
    admin.fits("school years")
    page.fill("input[name=name]", "2040-2041")
    page.fill("input[name=starts]", "2040-09-10")
    page.fill("input[name=ends]", "2041-06-20")
    page.select_option("select[name=structure]", "modules")
    page.get_by_role("button", name="Mai departe: perioadele").click()
    expect(page.locator("input[name='periods-4-starts']")).to_be_visible()
    admin.fits("a new year's five periods")

    page.goto(f"{base}/configurare/")
    page.get_by_role("link", name="Perioade și reguli").first.click()
    page.wait_for_url(re.compile(r"/configurare/ani/\d+/$"))
    expect(page.get_by_role("heading", name=re.compile("Regulile în vigoare"))).to_be_visible()
    admin.fits("a year's periods and rules")
    page.get_by_role("link", name="Vacanțe și sfârșituri de an").click()
    page.wait_for_url(re.compile(r"/configurare/ani/\d+/calendar/$"))
    admin.fits("a year's holidays and period ends")

    page.goto(f"{base}/configurare/")
    page.get_by_role("link", name="Clase", exact=True).first.click()
    page.wait_for_url(re.compile(r"/configurare/ani/\d+/clase/$"))
    admin.fits("classes")
    page.get_by_role("link", name=CLASS, exact=True).click()
    page.wait_for_url(re.compile(r"/configurare/clase/\d+/$"))
    admin.fits("a class's homeroom teacher")
    class_url = page.url

    page.goto(f"{class_url}plan/")
    admin.fits("curriculum")
    page.goto(f"{class_url}incadrari/")
    admin.fits("assignments")
    page.get_by_role("link", name="Șterge încadrarea").first.click()
    page.wait_for_url(re.compile(r"/incadrari/\d+/stergere/$"))
    admin.fits("an assignment's removal")

    page.goto(f"{class_url}elevi/")
    admin.fits("students")
    page.fill("input[name=last_name]", "Cazacu")
    page.fill("input[name=first_name]", "Luca")
    page.fill("input[name=cnp]", "5150403403019")  # a wrong check digit
    page.get_by_role("button", name="Înscrie elevul").click()
    expect(page.get_by_text("Cifra de control a CNP-ului nu este corectă.")).to_be_visible()
    admin.fits("students, a refused CNP")

    page.get_by_role("link", name="Scutiri").first.click()
    page.wait_for_url(re.compile(r"/elevi/\d+/scutiri/$"))
    admin.fits("a student's exemptions")
    page.goto(f"{class_url}elevi/")
    page.get_by_role("link", name="Plecare din clasă").first.click()
    page.wait_for_url(re.compile(r"/elevi/\d+/plecare/$"))
    admin.fits("a student leaving (or moving to a parallel class)")

    page.goto(f"{base}/")
    page.get_by_role("link", name="Export pentru SIIIR").click()
    page.wait_for_url(f"{base}/raportare/siiir/")
    with page.expect_download() as download:
        page.get_by_role("button", name="Descarcă").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    admin.fits("the SIIIR export")
    page.context.close()

    stats = Phone(phone_page(browser), visited)
    stats.sign_in(base, STATS, totp=True)
    stats.page.get_by_role("link", name="Statistici").click()
    stats.page.wait_for_url(f"{base}/statistici/")
    expect(stats.page.get_by_test_id("class-figures")).to_contain_text(CLASS)
    stats.fits("statistics")
    stats.page.context.close()

    print(f"\nconfiguration pages checked at 375 and 360 px: {', '.join(visited)}")
