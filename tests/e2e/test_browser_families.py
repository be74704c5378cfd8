"""Every role's pages in a real browser (headless Chromium) at 360, 375 and 412 px: nothing
scrolls sideways, no number breaks across lines, every button, field and menu entry is at
least 44 px tall, and axe-core (pinned, axe-playwright-python) finds no WCAG 2 A/AA
violation. Pictures of the parent's overview and notification settings are kept in
.artefacts/screens/."""

import io
import re
from urllib.parse import urlsplit

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


# Links a walk does not follow: files (PDF, CSV, photos, archives), the APIs, sign-out, the
# PWA's own files, and pages that only answer a form.
NOT_PAGES = re.compile(
    r"(\.csv$|\.pdf$|/pdf/|/fisier/|/fotografie/|/arhive/\d+/[^/]+$|^/api/|^/ims/|/export|logout|^/static/"
    r"|manifest\.webmanifest|sw\.js|^/cont/2fa/|^/invitatie/)"
)


def walk(phone: "Checked", base: str, start: str, limit: int = 60) -> dict[str, str]:
    """Every page reachable by links from `start` (same site), one of each route (ids read as
    N), each checked with `fits`; returns {route: the path visited}. Every page must answer 200."""
    page, queue, routes = phone.page, [start], {}
    while queue and len(routes) < limit:
        path = queue.pop(0)
        route = re.sub(r"\d+", "N", path)
        if route in routes:
            continue
        routes[route] = path
        response = page.goto(f"{base}{path}")
        assert response.status == 200, f"{path} answered {response.status}"
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        phone.fits(path)
        for href in page.eval_on_selector_all("a[href]", "links => links.map((a) => a.href)"):
            link = urlsplit(href)
            if f"{link.scheme}://{link.netloc}" == base and not NOT_PAGES.search(link.path):
                queue.append(link.path)
    return routes


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


def jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (800, 600), "white").save(out, "JPEG")
    return out.getvalue()


def test_every_page_each_role_reaches_fits_a_phone_and_passes_axe(running_stack, browser):  # noqa: F811
    """A walk through the links of every role's pages, the provider console included."""
    base = f"http://demo.localhost:{running_stack.port}"
    visited: list[str] = []

    # A parent sends a medical note's photo from the child's page; the homeroom teacher sees it.
    parent = Checked(phone_page(browser), visited)
    page = parent.page
    parent.sign_in(base, "parinte.demo", totp=False)
    page.locator("section", has=page.get_by_role("heading", name="Copiii mei")).get_by_role("link").first.click()
    form = page.locator("[data-testid=excuse-request] form")
    form.get_by_label("Document medical (fotografie)").check()
    days = page.evaluate("() => new Date(Date.now() - 86400000).toISOString().slice(0, 10)")
    form.locator("input[name=starts]").fill(days)
    form.locator("input[name=ends]").fill(days)
    form.locator("input[name=photo]").set_input_files({"name": "nota.jpg", "mimeType": "image/jpeg", "buffer": jpeg()})
    form.get_by_role("button", name="Trimite").click()
    page.wait_for_selector("text=Documentul medical a fost trimis dirigintelui.")
    assert "la diriginte" in page.locator("[data-testid=excuse-request]").inner_text()
    routes = walk(parent, base, "/")
    assert {"/", "/elevi/N/", "/notificari/", "/cont/securitate/"} <= routes.keys()
    page.context.close()

    student = Checked(phone_page(browser), visited)
    student.sign_in(base, "elev.demo", totp=False)
    assert "/elevi/N/" in walk(student, base, "/")
    student.page.context.close()

    for username, expected in [
        ("diriginte.demo", {"/clase/N/", "/clase/N/purtare/", "/clase/N/elevi/N/motivare/"}),
        ("profesor.demo", {"/clase/N/discipline/N/", "/documente/", "/drepturi/ale-mele/"}),
        ("statistici.demo", {"/statistici/"}),
        ("maria.ionescu", {"/configurare/", "/configurare/orar/", "/configurare/clase/N/orar/",
                           "/configurare/clase/N/plan/", "/configurare/clase/N/incadrari/",
                           "/configurare/clase/N/elevi/", "/configurare/import/", "/administrare/conturi/",
                           "/drepturi/cererile-mele/", "/configurare/import/incadrari/"}),
        ("director.demo", {"/statistici/", "/sfarsit-de-an/", "/arhive/", "/audit/", "/cereri-motivare/",
                           "/drepturi/"}),
    ]:  # fmt: skip
        staff = Checked(phone_page(browser), visited)
        staff.sign_in(base, username, totp=True)
        routes = walk(staff, base, "/")
        assert expected <= routes.keys(), f"{username} did not reach {expected - routes.keys()}"
        if username == "diriginte.demo":  # the parent's medical note waits on the class page
            staff.page.goto(f"{base}{routes['/clase/N/']}")
            assert staff.page.get_by_role("link", name="Vezi fotografia documentului").count() == 1
        if username == "director.demo":  # the demo's request waiting for approval
            staff.page.goto(f"{base}/drepturi/")
            assert staff.page.locator("[data-testid=queue] li.card").count() == 1
        staff.page.context.close()

    console_base = f"http://localhost:{running_stack.port}"
    operator = Checked(phone_page(browser), visited)
    operator.sign_in(console_base, "operator.demo", totp=True)
    routes = walk(operator, console_base, "/consola/")
    assert {"/consola/", "/consola/scoli/noua/", "/consola/backup/"} <= routes.keys() and any(
        r.startswith("/consola/scoli/") and r != "/consola/scoli/noua/" for r in routes
    )
    operator.page.context.close()
    print(f"\n{len(visited)} pages checked at {', '.join(map(str, WIDTHS))} px with axe-core: {', '.join(visited)}")
