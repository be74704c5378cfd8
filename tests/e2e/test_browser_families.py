"""Every role's pages in a real browser (headless Chromium) at 360, 375 and 412 px: nothing
scrolls sideways, no number breaks across lines, every button, field and menu entry is at
least 44 px tall, and axe-core (pinned, axe-playwright-python) finds no WCAG 2 A/AA
violation. Pictures of the parent's overview and notification settings are kept in
.artefacts/screens/."""

import pytest

from tests.e2e.test_browser_catalog import CHROMIUM, Phone, browser, phone_page, running_stack  # noqa: F401
from tests.helpers import ARTEFACTS

pytestmark = [pytest.mark.slow, pytest.mark.browser]

WIDTHS = (360, 375, 412)
TAP = 44  # px
# What breaks the rules on the page now, at its width: elements sticking out on the right,
# numbers whose text wraps onto two lines, tap targets under 44 px tall.
MEASURE = """(width) => {
  const shown = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0
    && getComputedStyle(el).visibility !== "hidden"; };
  const name = (el) => `${el.tagName.toLowerCase()}.${[...el.classList].join(".")} «${(el.textContent || el.value || "")
    .trim().slice(0, 30)}»`;
  const lines = (el) => { const range = document.createRange(); range.selectNodeContents(el);
    return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size; };
  const overflow = [...document.querySelectorAll("body *")].filter(shown)
    .filter((el) => el.getBoundingClientRect().right > width + 0.5).slice(0, 5).map(name);
  const numbers = [...document.querySelectorAll(".num, .grade, .average, td")].filter(shown)
    .filter((el) => /^[\\s\\d.,/%()+-]+$/.test(el.textContent) && el.textContent.trim())
    .filter((el) => lines(el) > 1).slice(0, 5).map(name);
  const targets = [...document.querySelectorAll(
    "button, select, textarea, summary, a.button, .menu-links a, nav .list a, input:not([type=hidden])")]
    .filter(shown)
    .map((el) => !["checkbox", "radio"].includes(el.type) ? el : el.closest("label")
      || (el.id && document.querySelector(`label[for="${el.id}"]`) ? el.parentElement : el))
    .filter((el) => el.getBoundingClientRect().height < 44 - 0.5).slice(0, 5)
    .map((el) => `${name(el)} ${Math.round(el.getBoundingClientRect().height)}px`);
  return {overflow, numbers, targets};
}"""


class Checked(Phone):
    """A phone whose every page is measured at the three widths and checked by axe-core."""

    def fits(self, what: str) -> None:
        from axe_playwright_python.sync_playwright import Axe

        for width in WIDTHS:
            self.page.set_viewport_size({"width": width, "height": 800})
            found = self.page.evaluate(MEASURE, width)
            scroll = self.page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert scroll[0] <= scroll[1] <= width, f"{what} scrolls sideways at {width} px: {found['overflow']}"
            assert not found["numbers"], f"{what} at {width} px: numbers split across lines {found['numbers']}"
            assert not found["targets"], f"{what} at {width} px: tap targets under {TAP} px {found['targets']}"
        self.page.set_viewport_size({"width": 375, "height": 812})
        tags = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
        violations = Axe().run(self.page, options=tags).response["violations"]
        assert not violations, f"{what}: " + "; ".join(
            f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in violations
        )
        self.visited.append(what)


def picture(page, name: str) -> None:
    folder = ARTEFACTS / "screens"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_every_roles_pages_fit_a_phone_and_pass_axe(running_stack, browser):  # noqa: F811
    base = f"http://demo.localhost:{running_stack.port}"
    visited: list[str] = []

    parent = Checked(phone_page(browser), visited)
    page = parent.page
    parent.sign_in(base, "parinte.demo", totp=False)
    child = page.locator("section", has=page.get_by_role("heading", name="Copiii mei")).get_by_role("link").first
    child.click()
    page.wait_for_selector("[data-testid=outlook-summary]")
    parent.fits("the child's overview")
    picture(page, "parent-overview")
    page.goto(f"{base}/notificari/")
    parent.fits("notification settings")
    picture(page, "notification-settings")
    page.locator("details.menu summary").click()
    parent.fits("the menu, open")
    page.goto(f"{base}/cont/securitate/")
    parent.fits("security (parent)")
    page.context.close()

    student = Checked(phone_page(browser), visited)
    student.sign_in(base, "elev.demo", totp=False)
    student.page.get_by_role("link", name="Notele și absențele mele").click()
    student.page.wait_for_selector("[data-testid=outlook-summary]")
    student.fits("the student's overview")
    student.page.context.close()

    teacher = Checked(phone_page(browser), visited)
    page = teacher.page
    teacher.sign_in(base, "profesor.demo", totp=True)
    page.get_by_role("link", name="Clasa a V-a A · Matematică").click()
    page.wait_for_selector("ul.gradebook")
    teacher.fits("gradebook")
    page.locator("ul.gradebook > li.row summary").first.click()
    teacher.fits("gradebook, a row open")
    page.goto(f"{base}/documente/")
    teacher.fits("my documents")
    page.context.close()

    director = Checked(phone_page(browser), visited)
    page = director.page
    director.sign_in(base, "director.demo", totp=True)
    for path, what in [("/statistici/", "statistics"), ("/sfarsit-de-an/", "year end"), ("/arhive/", "archives"),
                       ("/configurare/", "configuration"), ("/configurare/orar/", "the bell"),
                       ("/administrare/conturi/", "accounts"),
                       ("/documente/adeverinte/", "certificate register")]:  # fmt: skip
        page.goto(f"{base}{path}")
        director.fits(what)
    # Deactivating an account asks first; declining leaves it active.
    page.goto(f"{base}/administrare/conturi/")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    buttons = page.get_by_role("button", name="Dezactivează")
    before = buttons.count()
    buttons.first.click()
    page.wait_for_timeout(500)
    assert asked and "Dezactivați contul?" in asked[0]
    assert page.url == f"{base}/administrare/conturi/" and buttons.count() == before
    page.context.close()

    print(f"\npages checked at {', '.join(map(str, WIDTHS))} px with axe-core: {', '.join(visited)}")
