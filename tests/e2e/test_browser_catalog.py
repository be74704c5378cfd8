"""A real browser (headless Chromium) at phone width on the demo school's catalog: a teacher
adds a grade and an absence from the class gradebook in a few taps, the parent then sees
them, the homeroom teacher transcribes a transferred student's record, and no page any of
them visits scrolls sideways (at 375 px, and again at 360 px)."""

import os
import re
import shutil
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pyotp
import pytest

from catalog import demo as demo_catalog
from provisioning.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from tests.helpers import MakeRun, free_port

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PHONE = {"width": 375, "height": 812}
NARROW_PHONE = {"width": 360, "height": 740}
HOUR = 5  # the demo seed records absences on hours 1–6 of past days only, and nothing today
GRADE = "10"
CHILD = "Lungu Ioana"  # elev.demo in V A, parinte.demo's child
TAPS_PER_ACTION = 3
# Elements sticking out of a `width`-px phone screen on the right, to say what overflows.
OVERFLOWING = """(width) => [...document.querySelectorAll("body *")]
  .filter((el) => el.getBoundingClientRect().right > width + 0.5)
  .slice(0, 5)
  .map((el) => `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}.${[...el.classList].join(".")}: `
               + `${Math.round(el.getBoundingClientRect().right)}px «${(el.textContent || "").trim().slice(0, 40)}»`)"""


@pytest.fixture(scope="module")
def running_stack(tmp_path_factory):
    """`make run` with the demo school, once for the module's tests."""
    if not CHROMIUM:
        if os.environ.get("CATEDRA_BROWSER_TESTS") == "off":
            pytest.skip("CATEDRA_BROWSER_TESTS=off")
        pytest.fail("Chromium is missing: `make browser` installs it (CATEDRA_BROWSER_TESTS=off skips these tests).")
    run = MakeRun(tmp_path_factory.mktemp("catalog") / "data", free_port())
    run.start()
    yield run
    if run.process and run.process.poll() is None:
        run.interrupt()
    for leftover in run.processes():
        leftover.kill()


@pytest.fixture(scope="module")
def browser(running_stack):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        yield browser
        browser.close()


def phone_page(browser):
    """A fresh phone (its own cookies), 375 px wide."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="ro-RO")
    context.set_default_timeout(15_000)
    return context.new_page()


class Phone:
    """A person's phone: every page it shows is checked for sideways scrolling at 375 and 360 px."""

    def __init__(self, page, visited: list[str]):
        self.page, self.visited = page, visited

    def fits(self, what: str) -> None:
        """scrollWidth <= innerWidth, and innerWidth is the phone's width: a phone (is_mobile)
        zooms a page that is too wide out to fit it, which widens innerWidth along with it, so
        scrollWidth <= innerWidth alone would hold on every page."""
        for size in (PHONE, NARROW_PHONE):
            self.page.set_viewport_size(size)
            widths = self.page.evaluate("({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})")
            assert widths["scroll"] <= widths["inner"] <= size["width"], (
                f"{what} scrolls sideways at {size['width']} px ({widths}): "
                f"{self.page.evaluate(OVERFLOWING, size['width'])}"
            )
        self.page.set_viewport_size(PHONE)
        self.visited.append(what)

    def sign_in(self, base: str, username: str, *, totp: bool) -> None:
        page = self.page
        page.goto(f"{base}/cont/login/")
        self.fits("sign-in")
        page.fill("input[name=login]", username)
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.locator("main form button[type=submit]").first.click()
        if totp:
            page.wait_for_url("**/cont/2fa/verificare/**")
            self.fits("2FA code")
            page.fill("input[name=token]", pyotp.TOTP(DEMO_TOTP_SECRET).now())
            page.get_by_role("button", name="Verifică").click()
        page.wait_for_url(f"{base}/")
        self.fits(f"home ({username})")


def count_in(texts: list[str], wanted: str) -> int:
    return sum(text.strip() == wanted for text in texts)


def absences_shown(meta: str) -> int:
    """The absences counted in a gradebook row's summary ("absențe: 3 (1 nemotivate) · media 9")."""
    return int(re.search(r"absențe: (\d+)", meta).group(1))


def school_today() -> date:
    return datetime.now(ZoneInfo("Europe/Bucharest")).date()


def transcribe(homeroom: Phone, overview_url: str, came: date) -> None:
    """The homeroom teacher transcribes the record a student brought from another school
    (the demo's second transfer waits for it), and sees the first one's, already transcribed."""
    from playwright.sync_api import expect

    page = homeroom.page
    page.goto(overview_url)
    waiting = page.locator("ul.students > li").filter(has_text=" ".join(demo_catalog.TRANSFERRED[1]))
    waiting.get_by_role("link", name="Transcrie situația de la școala de proveniență").click()
    page.wait_for_url(re.compile(r"/elevi/\d+/transcriere/$"))
    homeroom.fits("transcription")
    page.fill("input[name=origin]", "Școala Gimnazială nr. 5 Iași")
    page.fill("input[name=document]", "2210")
    page.fill("input[name=document_date]", (came - timedelta(days=1)).isoformat())
    first, second = came - timedelta(days=14), came - timedelta(days=7)
    page.get_by_label("Matematică", exact=True).fill(f"9/{first:%d.%m} 7/{second:%d.%m}")
    page.get_by_label("Matematică: absențe motivate").fill("2")
    page.get_by_label("Matematică: absențe nemotivate").fill("1")
    page.get_by_role("button", name="Transcrie în catalog").click()
    expect(page.get_by_text("Situația școlară a fost transcrisă în catalog.")).to_be_visible()
    expect(page.locator("[data-testid=transcribed] .grade")).to_have_text([f"9/{first:%d.%m}", f"7/{second:%d.%m}"])
    expect(page.locator("[data-testid=transcribed-absences]")).to_have_text(
        re.compile(r"Matematică\s+2 motivate, 1 nemotivate")
    )
    homeroom.fits("transcription recorded")
    page.goto(overview_url)
    done = page.locator("ul.students > li").filter(has_text=" ".join(demo_catalog.TRANSFERRED[0]))
    done.get_by_role("link", name="Situația transcrisă").click()
    expect(page.locator("[data-testid=transcribed]")).to_contain_text(demo_catalog.TRANSFER_ORIGIN)
    homeroom.fits("transcription seen")


def test_a_teacher_grades_and_marks_absent_on_a_phone_and_the_parent_sees_it(running_stack, browser):
    from playwright.sync_api import expect

    base = f"http://demo.localhost:{running_stack.port}"
    visited: list[str] = []

    # The teacher signs in (with a code from the authenticator app) and opens V A · Matematică.
    teacher = Phone(phone_page(browser), visited)
    page = teacher.page
    teacher.sign_in(base, "profesor.demo", totp=True)
    expect(page.get_by_role("heading", name=re.compile("Clasele mele"))).to_be_visible()
    page.get_by_role("link", name="Clasa a V-a A · Matematică").click()
    page.wait_for_url(re.compile(r"/clase/\d+/discipline/\d+/$"))
    teacher.fits("gradebook")
    gradebook_url = page.url

    # Today (the school's date, the latest the picker allows) at hour 5.
    day = page.get_attribute("input[name=zi]", "max")
    page.fill("input[name=zi]", day)
    page.select_option("select[name=ora]", str(HOUR))
    page.get_by_role("button", name="Alege").click()
    picked_url = f"{gradebook_url}?zi={day}&ora={HOUR}"
    page.wait_for_url(re.compile(re.escape(picked_url) + "$"))
    teacher.fits("gradebook at hour 5")
    _year, mm, dd = day.split("-")
    grade_shown, absence_shown = f"{GRADE}/{dd}.{mm}", f"{dd}.{mm}"

    rows = page.locator("ul.gradebook > li.row").filter(has=page.locator("summary .name", has_text=CHILD))
    expect(rows).to_have_count(1)
    row_id = rows.get_attribute("id")
    student_pk = row_id.removeprefix("elev-")
    row = page.locator(f"#{row_id}")  # found again after every swap
    grades_before = row.locator("summary .grade").all_inner_texts()
    absences_before = absences_shown(row.locator("summary .meta").inner_text())
    page.evaluate("window.sameDocument = true")  # lost if a tap reloads the page instead of swapping the row

    # A grade: the student's name, then the grade (two taps).
    taps = 0
    row.locator("summary").tap()
    taps += 1
    expect(row.locator("button[name=value]")).to_have_count(10)
    teacher.fits("gradebook, a student's row open")
    row.locator(f"button[name=value][value='{GRADE}']").tap()
    taps += 1
    expect(row.locator("[role=status]")).to_have_text(f"Nota {grade_shown} a fost adăugată.")
    assert taps <= TAPS_PER_ACTION
    grades_after = row.locator("summary .grade").all_inner_texts()
    assert count_in(grades_after, grade_shown) == count_in(grades_before, grade_shown) + 1, grades_after
    teacher.fits("gradebook after the grade")

    # An absence: the row stays open after the swap, so one tap on "Absent".
    taps = 0
    absent = row.get_by_role("button", name=re.compile(rf"^Absent la ora {HOUR}, "))
    expect(absent).to_be_visible()
    absent.tap()
    taps += 1
    expect(row.locator("[role=status]")).to_have_text(f"Absență trecută la ora {HOUR}.")
    assert taps <= TAPS_PER_ACTION
    assert absences_shown(row.locator("summary .meta").inner_text()) == absences_before + 1
    expect(row.locator("span.unexcused", has_text=absence_shown)).to_have_count(1)
    teacher.fits("gradebook after the absence")
    assert page.evaluate("window.sameDocument === true"), "the taps reloaded the page instead of swapping the row"
    assert page.url == picked_url

    # Tapping "Absent" again is refused in the row, not recorded twice.
    row.get_by_role("button", name=re.compile(rf"^Absent la ora {HOUR}, ")).tap()
    expect(row.locator("[role=alert]")).to_be_visible()
    assert absences_shown(row.locator("summary .meta").inner_text()) == absences_before + 1

    # The other pages a teacher uses: a grade's correction page and the account's security page.
    row.get_by_role("link", name=grade_shown).last.click()
    page.wait_for_url(re.compile(r"/note/\d+/$"))
    teacher.fits("grade correction")
    page.goto(f"{gradebook_url}medii/")
    expect(page.get_by_role("heading", name=re.compile("Încheierea mediilor"))).to_be_visible()
    teacher.fits("closing the averages")
    page.goto(f"{base}/cont/securitate/")
    teacher.fits("security (teacher)")
    page.context.close()

    # The parent, on their own phone, sees the new grade and absence on the child's page.
    parent = Phone(phone_page(browser), visited)
    page = parent.page
    parent.sign_in(base, "parinte.demo", totp=False)
    expect(page.get_by_role("heading", name="Copiii mei")).to_be_visible()
    child_link = page.locator("section", has=page.get_by_role("heading", name="Copiii mei")).get_by_role("link")
    expect(child_link).to_have_count(1)
    assert child_link.get_attribute("href") == f"/elevi/{student_pk}/"
    child_link.click()
    page.wait_for_url(re.compile(re.escape(f"{base}/elevi/{student_pk}/") + "$"))
    parent.fits("child's year")
    mathematics = page.locator("ul.subjects > li").filter(has=page.get_by_role("heading", name="Matematică"))
    expect(mathematics).to_have_count(1)
    assert (
        count_in(mathematics.locator(".grade").all_inner_texts(), grade_shown)
        == count_in(grades_before, grade_shown) + 1
    )
    expect(mathematics.locator("span.unexcused", has_text=absence_shown)).to_have_count(1)
    page.goto(f"{base}/cont/securitate/")
    parent.fits("security (parent)")
    page.context.close()

    # The homeroom teacher's and the director's end-of-year pages fit the phone too.
    homeroom = Phone(phone_page(browser), visited)
    page = homeroom.page
    homeroom.sign_in(base, "diriginte.demo", totp=True)
    page.get_by_role("link", name=re.compile("Dirigenție: Clasa a V-a A")).click()
    page.wait_for_url(re.compile(r"/clase/\d+/$"))
    homeroom.fits("homeroom class")
    overview_url = page.url
    page.get_by_role("link", name="Note la purtare").click()
    page.wait_for_url(re.compile(r"/clase/\d+/purtare/$"))
    homeroom.fits("conduct")
    came = demo_catalog.transfer_day(demo_catalog.modules(demo_catalog.year_first(school_today())), school_today())
    if came is not None:  # the demo's transfers come once the year's first days are past
        transcribe(homeroom, overview_url, came)
    page.context.close()
    director = Phone(phone_page(browser), visited)
    page = director.page
    director.sign_in(base, "director.demo", totp=True)
    for path, what in [("/sfarsit-de-an/", "year end"), ("/cereri-motivare/", "parents' requests")]:
        page.goto(f"{base}{path}")
        director.fits(what)
    page.context.close()

    print(f"\npages checked at 375 and 360 px: {', '.join(visited)}")
