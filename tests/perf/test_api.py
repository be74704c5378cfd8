"""School API figures, served by gunicorn on 127.0.0.1 (as `catedra run` starts it) to real
HTTP clients: a school of about 1,000 students with a whole year of grades (`make bench`;
`make test` uses a smaller one). Targets: a page of 500 grades p95 < 100 ms, and the same
number of queries on every page. Reported: req/s for 1, 10 and 50 concurrent clients (locust),
a full initial sync of every synced resource, and a re-poll with nothing new (all 304)."""

import csv
import json
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from accounts.models import User
from catalog.api import clients
from catalog.api.models import Scope
from catalog.grades.models import Grade
from catalog.structure.models import SchoolYear, Student
from tests.catalog.web.conftest import SchoolClient
from tests.helpers import clean_env, database_env, free_port
from tests.perf.budget import FULL_SIZE, sized, within
from tests.perf.schools import LARGE, demo_school

pytestmark = [pytest.mark.perf, pytest.mark.slow]

PAGE = 500
TARGET_P95 = 0.100
SYNCED = ["students", "enrolments", "grades", "absences", "averages", "conduct", "exams", "year-results"]


@pytest.fixture(scope="module")
def api_school(django_db_setup, django_db_blocker):
    """The school, committed, with a whole year of grades, and a key that reads everything."""
    classes = sized(LARGE, LARGE[::6])
    with (
        django_db_blocker.unblock(),
        demo_school(
            slug="scoala-api", name="Liceul „Cel Citit”", siiir_code="1661100013", classes=classes, people="api"
        ) as school,
    ):
        with schema_context(school.schema_name):
            admin = User.objects.get(username="secretara.api")
            key = clients.client_create(actor=admin, name="Benchmark", scopes=list(Scope.values),
                                        rate_per_minute=100000).key  # fmt: skip
        connection.set_schema_to_public()
        yield school, key


@pytest.fixture(scope="module")
def server(api_school, tmp_path_factory):
    """gunicorn as `catedra run` starts it (2 workers x 4 threads), on the test database."""
    port = free_port()
    log = tmp_path_factory.mktemp("gunicorn") / "server.log"
    env = clean_env(**database_env(), REDIS_URL=settings.REDIS_URL)
    command = [sys.executable, "-m", "gunicorn", "catedra.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2",
               "--worker-class", "gthread", "--threads", "4"]  # fmt: skip
    with open(log, "w") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # a hang guard, not a target
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2)  # noqa: S310 - loopback
                break
            except OSError:
                assert process.poll() is None, log.read_text()
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


class Reader:
    """An HTTP client of the API, as a ministry system is (urllib, one request at a time)."""

    def __init__(self, base: str, school, key: str):
        self.base, self.host, self.key = base, f"{school.slug}.localhost", key

    def get(self, path: str, etag: str = "") -> tuple[int, dict, str, float]:
        """(status, body, ETag, seconds)."""
        headers = {
            "Host": self.host,
            "Authorization": f"Bearer {self.key}",
            **({"If-None-Match": etag} if etag else {}),
        }
        request = urllib.request.Request(f"{self.base}{path}", headers=headers)  # noqa: S310 - loopback http
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
                body, status, tag = response.read(), response.status, response.headers.get("ETag", "")
        except urllib.error.HTTPError as error:
            body, status, tag = error.read(), error.code, error.headers.get("ETag", "")
        seconds = time.perf_counter() - started
        return status, json.loads(body) if body else {}, tag, seconds

    def walk(self, resource: str, query: str) -> tuple[list[str], list[float], str, str]:
        """Every page of a listing: (the pages' paths, their times, the watermark, the last ETag)."""
        path, paths, times = f"/api/v1/{resource}?{query}", [], []
        while True:
            status, body, etag, seconds = self.get(path)
            assert status == 200, body
            paths.append(path)
            times.append(seconds)
            if body["next"] is None:
                return paths, times, body["watermark"], etag
            path = f"/api/v1/{resource}?{query}&cursor={body['next']}"


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1] if len(times) >= 2 else times[0]


def test_grade_pages_initial_sync_and_a_re_poll_over_http(api_school, server, capsys, tmp_path):
    school, key = api_school
    with schema_context(school.schema_name):
        year = SchoolYear.objects.order_by("starts").first()
        students, grades = Student.objects.count(), Grade.objects.filter(school_class__year=year).count()
    connection.set_schema_to_public()
    reader = Reader(server, school, key)
    reader.walk("grades", f"year={year.pk}&limit={PAGE}")  # warm the workers and the database
    pages, times, _watermark, _etag = reader.walk("grades", f"year={year.pk}&limit={PAGE}")
    page_p95 = p95(times)

    started, marks = time.perf_counter(), {}
    for resource in SYNCED:
        _paths, _times, watermark, _etag = reader.walk(resource, f"limit={PAGE}")
        marks[resource] = watermark
    initial = time.perf_counter() - started
    started, statuses, etags = time.perf_counter(), [], {}
    for resource in SYNCED:
        status, _body, etags[resource], _s = reader.get(
            f"/api/v1/{resource}?limit={PAGE}&updated_since={marks[resource]}"
        )
        statuses.append(status)
    first_poll = time.perf_counter() - started
    started = time.perf_counter()
    repoll = [reader.get(f"/api/v1/{r}?limit={PAGE}&updated_since={marks[r]}", etags[r])[0] for r in SYNCED]
    repoll_s = time.perf_counter() - started

    rates = {users: _locust(server, school, key, pages, users, tmp_path) for users in (1, 10, 50)}
    with capsys.disabled():
        print(f"\nschool API ({'full' if FULL_SIZE else 'CI'} size): {students} students, {grades} grades in the year")
        print(f"  a page of {PAGE} grades, one client: p95 {page_p95 * 1000:.1f} ms over {len(times)} pages "
              f"(target < {TARGET_P95 * 1000:.0f} ms)")  # fmt: skip
        for users, (rps, p95_ms, failures) in rates.items():
            print(f"  {users:>2} concurrent clients: {rps:.1f} pages/s ({rps * PAGE:.0f} grades/s), "
                  f"p95 {p95_ms:.0f} ms, {failures} failures")  # fmt: skip
        print(f"  full initial sync of {len(SYNCED)} resources: {initial:.2f} s; a poll with nothing new: "
              f"{first_poll * 1000:.0f} ms, again with ETags (all 304): {repoll_s * 1000:.0f} ms")  # fmt: skip
    assert statuses == [200] * len(SYNCED) and repoll == [304] * len(SYNCED)
    assert all(failures == 0 for _rps, _p95, failures in rates.values())
    assert within(page_p95, TARGET_P95), f"p95 {page_p95 * 1000:.1f} ms"


def _locust(server: str, school, key: str, pages: list[str], users: int, tmp_path: Path) -> tuple[float, float, int]:
    """(requests per second, p95 in ms, failures) of `users` clients reading random pages."""
    prefix = tmp_path / f"locust-{users}"
    env = clean_env(CATEDRA_BENCH_PAGES=json.dumps(pages), CATEDRA_BENCH_KEY=key,
                    CATEDRA_BENCH_HOST=f"{school.slug}.localhost")  # fmt: skip
    seconds = sized(20, 6)
    subprocess.run(
        [str(Path(sys.executable).with_name("locust")), "-f", str(Path(__file__).with_name("locust_api.py")),
         "--headless", "--users", str(users), "--spawn-rate", str(users), "--run-time", f"{seconds}s",
         "--host", server, "--csv", str(prefix), "--only-summary", "--exit-code-on-error", "0"],
        env=env, check=True, capture_output=True, timeout=seconds + 120,
    )  # fmt: skip
    with open(f"{prefix}_stats.csv") as stats:
        total = next(row for row in csv.DictReader(stats) if row["Name"] == "Aggregated")
    return float(total["Requests/s"]), float(total["95%"]), int(total["Failure Count"])


def test_every_page_costs_the_same_number_of_queries(api_school, django_db_blocker):
    school, key = api_school
    client = SchoolClient(HTTP_HOST=f"{school.slug}.localhost")
    client.schema = school.schema_name
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    counts, path = [], f"/api/v1/grades?limit={PAGE}"
    with django_db_blocker.unblock():
        for _page in range(4):
            with CaptureQueriesContext(connection) as queries:
                body = client.get(path, **headers).json()
            counts.append(len(queries))
            if body["next"] is None:
                break
            path = f"/api/v1/grades?limit={PAGE}&cursor={body['next']}"
        with CaptureQueriesContext(connection) as queries:
            client.get(f"/api/v1/grades?limit={PAGE}&updated_since={body['watermark'] or ''}", **headers)
        window = len(queries)
        connection.set_schema_to_public()
    print(f"\nqueries per page of {PAGE} grades: {counts}; a sync window: {window}")
    assert len(set(counts[1:])) == 1 and counts[0] <= counts[1] + 1 and max(counts) <= 15 and window <= 15
