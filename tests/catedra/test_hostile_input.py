"""Hostile text on every door of both hosts (issue 22, item 7): a walk through each URL map
signed in with every role that has pages there, sending NUL, a 10,000-character string and
right-to-left text to every query parameter, every form field the pages offer, every text
part of a URL and every field of the provider API. No answer may be a server error, and no
GET may write to the audit trail (a page any site can make a browser load must not)."""

import contextlib
import html.parser
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode, urljoin, urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Max
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.exceptions import Resolver404
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.roles import Role
from audit.models import AuditEvent
from catalog.attendance import requests as parent_requests
from catalog.attendance import services as attendance
from catalog.grades import services as grades
from catalog.structure import services as structure
from provisioning.api import api as provider_api
from provisioning.models import ApiToken
from tests.accounts.conftest import PASSWORD, make_user, sign_in_with_2fa
from tests.catalog.structure.test_modules import vocational
from tests.conftest import SCHOOL_A, SCHOOL_B, host_client

ROOT = Path(__file__).resolve().parents[2]
PAYLOADS = {"NUL": "a\x00b", "10,000 characters": "ăa" * 5_000, "right-to-left": "\u202eabc مدرسة שלום"}
SCHOOL_HOST, CONTROL_PLANE_HOST = f"{SCHOOL_A}.localhost", "localhost"
SCHOOL_URLS, CONTROL_PLANE_URLS = "catedra.urls_school", "catedra.urls_public"
# What a plain form field gets when its page leaves it empty, so the other fields are valid
# and the hostile value travels as far as it can (by input type, then by name).
FILL_BY_TYPE = {"email": "proba@example.test", "number": "1", "password": "Tabla-Verde-2026!", "tel": "0722123456"}
NOT_TYPED = frozenset({"submit", "button", "reset", "image"})


# -- reading pages ---------------------------------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)  # name -> the value a browser sends
    files: list[str] = field(default_factory=list)
    buttons: list[tuple[str, str]] = field(default_factory=list)  # named submit buttons
    elsewhere: list[str] = field(default_factory=list)  # other actions, of buttons with a formaction

    def variants(self) -> list[tuple[str, str] | None]:
        """One submission per named button (a browser sends the one clicked), else one."""
        return list({name: (name, value) for name, value in self.buttons}.values()) or [None]

    def key(self, urlconf: str) -> tuple:
        return (route_of(self.action, urlconf), self.method, tuple(sorted(self.fields)), tuple(self.files))


class PageReader(html.parser.HTMLParser):
    """The links and forms of a page (forms with their fields as a browser would send them)."""

    def __init__(self, url: str, day: str):
        super().__init__(convert_charrefs=True)
        self.url, self.day = url, day
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._selected: set[str] = set()
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        for name in ("href", "hx-get"):
            if tag != "form" and attrs.get(name):
                self.links.append(urljoin(self.url, attrs[name]))
        if tag == "form":
            action = attrs.get("hx-post") or attrs.get("action") or attrs.get("hx-get") or self.url
            method = "post" if attrs.get("hx-post") or attrs.get("method", "get").lower() == "post" else "get"
            self._form = Form(urljoin(self.url, action), method)
            self.forms.append(self._form)
        elif self._form is not None and tag == "option" and self._select:
            self._option(attrs)
        elif self._form is not None and attrs.get("name"):
            self._field(tag, attrs)
        elif self._form is not None and tag == "button" and attrs.get("formaction"):
            self._form.elsewhere.append(urljoin(self.url, attrs["formaction"]))

    def _field(self, tag, attrs):
        name, kind = attrs["name"], attrs.get("type", "text").lower()
        if tag == "button" or (tag == "input" and kind in NOT_TYPED):
            self._form.buttons.append((name, attrs.get("value", "")))
            self._form.elsewhere += [urljoin(self.url, attrs["formaction"])] if attrs.get("formaction") else []
        elif tag == "select":
            self._select = name
            self._form.fields.setdefault(name, "")
        elif tag == "textarea":
            self._textarea = name
            self._form.fields[name] = ""
        elif tag == "input" and kind == "file":
            self._form.files.append(name)
        elif tag == "input" and kind in ("checkbox", "radio"):
            if "checked" in attrs:
                self._form.fields[name] = attrs.get("value", "on")
            else:
                self._form.fields.setdefault(name, "")
        elif tag == "input":
            self._form.fields[name] = attrs.get("value") or self._fill(name, kind)

    def _option(self, attrs):
        """A select sends its selected option, else its first one with a value."""
        name, value = self._select, attrs.get("value", "")
        if "selected" in attrs and name not in self._selected:
            self._form.fields[name] = value
            self._selected.add(name)
        elif value and not self._form.fields.get(name):
            self._form.fields[name] = value

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def _fill(self, name: str, kind: str) -> str:
        if kind == "hidden":
            return ""
        if kind == "date":
            return self.day
        return FILL_BY_TYPE.get(kind) or ("motiv de test" if "reason" in name or "motiv" in name else "Test")

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            self._form.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form" and self._form is not None:
            for action in self._form.elsewhere:  # the same fields, sent somewhere else
                self.forms.append(Form(action, self._form.method, dict(self._form.fields), list(self._form.files)))
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def read_page(url: str, body: str, day: str) -> PageReader:
    reader = PageReader(url, day)
    reader.feed(body)
    return reader


# -- the URL maps --------------------------------------------------------------------------


def routes_of(urlconf: str) -> list[str]:
    """Every route of a URL map, as its full pattern text (`clase/<int:class_id>/`), joined as
    Django joins a match's route (a regular expression's leading ^ dropped)."""

    def walk(patterns, prefix):
        for pattern in patterns:
            text = prefix + str(pattern.pattern).removeprefix("^")
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, text)
            elif isinstance(pattern, URLPattern):
                yield text

    return list(dict.fromkeys(walk(get_resolver(urlconf).url_patterns, "")))


def route_of(url: str, urlconf: str) -> str | None:
    try:
        return get_resolver(urlconf).resolve(urlsplit(url).path).route
    except Resolver404:
        return None


CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


def url_for(route: str, ids: dict[str, object], text: str = "x") -> str | None:
    """A concrete path for `route`: ids by argument name, `text` for text arguments; None for
    a regular-expression route or an id nobody gave."""
    if "(?P<" in route or route.endswith("$"):
        return None

    def value(match):
        kind, name = match.group(1) or "str", match.group(2)
        if kind == "int":
            return str(ids.get(name, "")) or "MISSING"
        return quote(str(ids.get(name, text)), safe="")

    path = "/" + CONVERTER.sub(value, route)
    return None if "MISSING" in path else path


def query_names() -> set[str]:
    """The query parameters the views read directly (request.GET.get("...") in the code)."""
    names = {"next"}
    for folder in ("platform", "catalog", "provisioning", "ops", "tenants"):
        for source in (ROOT / folder).rglob("*.py"):
            names |= set(re.findall(r"GET\.get(?:list)?\(\s*[\"'](\w+)[\"']", source.read_text()))
    return names


# -- sending ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    status: int
    body: str
    location: str
    wrote_audit: bool


@dataclass
class Walk:
    """Requests made as one host's people, each undone afterwards (a savepoint rolled back,
    the session cookie put back), so every request meets the same school."""

    host: str
    urlconf: str
    schema: str
    day: str
    clients: dict[str, Client]
    problems: list[str] = field(default_factory=list)
    audit_writes: list[str] = field(default_factory=list)
    requests: int = 0

    def send(self, role: str, method: str, url: str, data=None, what: str = "", **extra) -> Outcome | None:
        client = self.clients[role]
        cookies = {name: morsel.value for name, morsel in client.cookies.items()}
        self.requests += 1
        try:
            with transaction.atomic():
                before = self._audit_high_water()
                response = getattr(client, method)(url, data if data is not None else {}, **extra)
                body = b"".join(response.streaming_content) if response.streaming else response.content
                wrote = self._audit_high_water() != before
                transaction.set_rollback(True)
        except Exception as error:  # noqa: BLE001 - a view's exception is what we are looking for
            self.problems.append(f"{role} {method.upper()} {url[:150]} {what}: {type(error).__name__}: {error!s:.200}")
            return None
        finally:
            client.cookies.clear()
            for name, value in cookies.items():
                client.cookies[name] = value
        if response.status_code >= 500:
            self.problems.append(f"{role} {method.upper()} {url[:150]} {what}: {response.status_code}")
        if wrote and method == "get":
            self.audit_writes.append(f"{role} GET {url[:150]} {what}")
        return Outcome(response.status_code, body.decode("utf-8", "replace"), response.get("Location", ""), wrote)

    def _audit_high_water(self) -> int:
        with schema_context(self.schema):
            return AuditEvent.objects.aggregate(seq=Max("seq"))["seq"] or 0

    # -- the crawl --

    def crawl(self, starts: list[str], ids: dict[str, object]) -> "Map":
        """What each role reaches from `starts` and from every route built with sample `ids`
        (one URL per route and role, following links and redirects)."""
        found = Map()
        routes = routes_of(self.urlconf)
        for role in self.clients:
            queue = list(starts) + [url for route in routes if (url := url_for(route, ids))]
            visited: set[str] = set()
            while queue:
                url = queue.pop(0).split("#")[0]
                route = route_of(url, self.urlconf)
                if route is None or route in visited or urlsplit(url).netloc not in ("", self.host):
                    continue
                visited.add(route)
                outcome = self.send(role, "get", url, what="(crawl)")
                if outcome is None:
                    continue
                found.doors.setdefault(route, (role, url))
                if outcome.location:
                    queue.insert(0, outcome.location)
                if outcome.status == 200:
                    found.pages.setdefault(route, (role, url))
                    reader = read_page(url, outcome.body, self.day)
                    queue.extend(reader.links)
                    for form in reader.forms:
                        found.add_form(role, form, self)
        return found

    # -- the attacks --

    def attack_queries(self, found: "Map", names: set[str]):
        """Every query parameter the code reads, at once, on every page (the pages' own search
        and filter forms are attacked field by field with the other forms)."""
        for role, url in found.pages.values():
            path = urlsplit(url).path
            for label, payload in PAYLOADS.items():
                self.send(role, "get", path + "?" + urlencode(dict.fromkeys(sorted(names), payload)), what=label)

    def attack_paths(self, found: "Map"):
        """Every text part of a URL (a slug, a token, an action's name), by GET and POST."""
        for route, (role, url) in {**found.doors, **found.pages}.items():
            kwargs = get_resolver(self.urlconf).resolve(urlsplit(url).path).kwargs
            for argument in re.findall(r"<(?:str|slug|path):(\w+)>", route):
                for label, payload in PAYLOADS.items():
                    if bad := url_for(route, {**kwargs, argument: payload}):
                        self.send(role, "get", bad, what=f"{argument}={label}")
                        self.send(role, "post", bad, what=f"{argument}={label}")

    def attack_forms(self, found: "Map"):
        """Every field of every form, one at a time, the others as the page filled them."""
        for role, form in found.forms.values():
            for button in form.variants():
                for name in [*form.fields, *form.files]:
                    if name != "csrfmiddlewaretoken":
                        for label, payload in PAYLOADS.items():
                            self._submit(role, form, button, name, payload, f"{name}={label} {button or ''}")

    def _submit(self, role: str, form: Form, button, name: str, payload: str, what: str):
        data = {**form.fields, **dict([button] if button else [])}
        for upload in form.files:
            content = payload.encode() if upload == name else b"nume,prenume\nPop,Ana\n"
            data[upload] = SimpleUploadedFile("fisier.csv", content, "text/csv")
        if name not in form.files:
            data[name] = payload
        action = urlsplit(form.action)
        if form.method == "get":
            self.send(role, "get", action.path + "?" + urlencode(data), what=what)
        else:
            self.send(role, "post", action.path + (f"?{action.query}" if action.query else ""), data, what=what)


@dataclass
class Map:
    """What a crawl found: routes answered (any status), pages (200) and forms."""

    doors: dict[str, tuple[str, str]] = field(default_factory=dict)  # route -> (role, url)
    pages: dict[str, tuple[str, str]] = field(default_factory=dict)
    forms: dict[tuple, tuple[str, Form]] = field(default_factory=dict)

    def add_form(self, role: str, form: Form, walk: Walk):
        if urlsplit(form.action).netloc in ("", "testserver", walk.host) and route_of(form.action, walk.urlconf):
            self.forms.setdefault(form.key(walk.urlconf), (role, form))
            self.doors.setdefault(route_of(form.action, walk.urlconf), (role, urlsplit(form.action).path))

    def unreached(self, urlconf: str) -> list[str]:
        return [route for route in routes_of(urlconf) if route not in self.doors]


# -- the people ------------------------------------------------------------------------------


def signed_in(host: str, user: User, schema: str) -> Client:
    client = host_client(host)
    sign_in_with_2fa(client, user, schema=schema)
    return client


@pytest.fixture
def school_walk(cast, school_a) -> tuple[Walk, dict, list[str]]:
    """School A's cast signed in (2FA verified), with something behind every kind of id: a grade,
    an absence, a parent's request, a holiday, a technological class with curricular modules."""
    where = {"teacher": cast.mihai, "student": cast.ana, "school_class": cast.class_5a, "subject": cast.math}
    grade = grades.grade_add(**where, value=9, on=cast.day)
    attendance.absence_record(**where, on=cast.day, hour=1)
    with contextlib.suppress(ValidationError):  # today's absence has a late-arrival form, on a school day
        attendance.absence_record(**where, on=timezone.localdate(), hour=2)
    asked = parent_requests.parent_request_submit(
        actor=cast.parent, student=cast.ana, school_class=cast.class_5a, starts=cast.day, ends=cast.day
    )
    holiday = structure.holiday_add(
        actor=cast.admin, year=cast.year, name="Vacanța de test", starts=cast.year.ends, ends=cast.year.ends
    )
    voc = vocational(cast)
    cast.ana.user.set_password(PASSWORD)
    cast.ana.user.save(update_fields=["password"])
    people = {
        "secretary": cast.admin, "director": cast.director, "homeroom": cast.elena, "teacher": cast.mihai,
        "parent": cast.parent, "student": cast.ana.user, "statistics": cast.stats,
    }  # fmt: skip
    ids = {
        "class_id": cast.class_5a.pk, "subject_id": cast.math.pk, "student_id": cast.ana.pk, "grade_id": grade.pk,
        "year_id": cast.year.pk, "user_id": cast.parent.pk, "child_id": cast.ana.user.pk, "request_id": asked.pk,
        "holiday_id": holiday.pk, "module_id": voc.first.pk, "channel": "email", "action": "dezactivare",
    }  # fmt: skip
    clients = {role: signed_in(SCHOOL_HOST, user, "school_a") for role, user in people.items()}
    clients["anonymous"] = host_client(SCHOOL_HOST)
    # The gradebook at a class hour, where the absence and late-arrival forms are.
    starts = [f"/clase/{cast.class_5a.pk}/discipline/{cast.math.pk}/?zi={cast.day.isoformat()}&ora=2"]
    return Walk(SCHOOL_HOST, SCHOOL_URLS, "school_a", cast.day.isoformat(), clients), ids, starts


@pytest.fixture
def control_plane_walk(db, school_b) -> tuple[Walk, dict, list[str]]:
    operator = make_user("public", "operator.atac", [Role.OPERATOR, Role.SUPERUSER])
    clients = {"operator": signed_in(CONTROL_PLANE_HOST, operator, "public"), "anonymous": host_client("localhost")}
    walk = Walk(CONTROL_PLANE_HOST, CONTROL_PLANE_URLS, "public", "2026-01-15", clients)
    return walk, {"slug": SCHOOL_B}, []


def report(walk: Walk, problems: list[str]) -> str:
    return f"{len(problems)} of {walk.requests} requests:\n" + "\n".join(problems[:80])


# Regular-expression routes of allauth, which no sample id builds.
STARTS = ["/cont/password/reset/key/1-x/", "/cont/confirm-email/x/"]
FLOORS = {"school": (75, 45), "control plane": (35, 15)}  # at least so many routes reached and forms found
_walked: dict[str, Walk] = {}


def walked(request, host: str) -> Walk:
    """The walk of a host, made once and read by both tests (it takes minutes)."""
    if host not in _walked:
        walk, ids, starts = request.getfixturevalue("school_walk" if host == "school" else "control_plane_walk")
        found = walk.crawl(starts + STARTS, ids)
        walk.attack_queries(found, query_names())
        walk.attack_paths(found)
        walk.attack_forms(found)
        routes, forms = FLOORS[host]
        assert len(found.doors) >= routes and len(found.forms) >= forms, (found.unreached(walk.urlconf), found.forms)
        _walked[host] = walk
    return _walked[host]


# -- the tests -------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["school", "control plane"])
def test_no_hostile_text_in_any_field_or_parameter_gets_a_server_error(request, host):
    walk = walked(request, host)
    assert not walk.problems, report(walk, walk.problems)


@pytest.mark.parametrize("host", ["school", "control plane"])
def test_no_get_request_writes_to_the_audit_trail(request, host):
    walk = walked(request, host)
    assert not walk.audit_writes, report(walk, walk.audit_writes)


# -- the provider API --------------------------------------------------------------------------

VALID_BODIES = {
    ("post", "/api/v1/schools"): {
        "name": "Școala Gimnazială nr. 9 Brașov", "slug": "scoala-atac", "siiir_code": "0861100099",
        "cui": "4505359", "county": "BV", "locality": "Brașov", "admin_name": "Radu Pătrașcu",
        "admin_email": "secretariat@atac.test",
    },
    ("post", "/api/v1/schools/{slug}/transitions"): {"to": "suspended", "reason": "factură neplătită"},
}  # fmt: skip


def api_operations():
    """(method, path, path parameters, query parameters, body fields) of every operation."""
    schema = provider_api.get_openapi_schema(path_prefix="/api/v1")
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            parameters = operation.get("parameters", [])
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if body and "$ref" in body:
                body = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
            yield (
                method, path, [p["name"] for p in parameters if p["in"] == "path"],
                [p["name"] for p in parameters if p["in"] == "query"], list((body or {}).get("properties", {})),
            )  # fmt: skip


def test_no_hostile_text_in_the_provider_api_gets_a_server_error(db, school_b):
    token = ApiToken.issue(name="atac")[1]
    client = Client(HTTP_HOST=CONTROL_PLANE_HOST, HTTP_AUTHORIZATION=f"Bearer {token}")
    walk = Walk(CONTROL_PLANE_HOST, CONTROL_PLANE_URLS, "public", "", {"api": client})
    operations = list(api_operations())
    assert len(operations) >= 5
    for method, path, path_names, query, body_fields in operations:
        valid_body = VALID_BODIES.get((method, path), dict.fromkeys(body_fields, "x"))
        for label, payload in PAYLOADS.items():
            filled = path.replace("{slug}", SCHOOL_B)
            for name in path_names:
                bad = path.replace("{" + name + "}", quote(payload, safe=""))
                data = json.dumps(valid_body) if method != "get" else None
                walk.send("api", method, bad, data, f"{name}={label}", content_type="application/json")
            for name in query:
                walk.send("api", method, f"{filled}?{urlencode({name: payload})}", what=f"{name}={label}")
            for name in body_fields:
                data = json.dumps({**valid_body, name: payload})
                walk.send("api", method, filled, data, f"{name}={label}", content_type="application/json")
    assert not walk.problems, report(walk, walk.problems)
