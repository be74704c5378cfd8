"""The console's backup page (/consola/backup/): provider staff only; per school the
newest backups, their verification, the next runs, the failures since the last success
and the newest anchor of its audit chain (the control plane's too); a problems-only
filter; a fixed number of queries whatever the number of schools."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.roles import Role
from ops import overview
from ops.models import AuditAnchor, Backup, IncrementalOptOut, RestoreDrill
from tenants.models import School
from tests.accounts.conftest import login, make_user, sign_in_with_2fa
from tests.conftest import SCHOOL_A, host_client
from tests.provisioning.test_console import provider

URL = "/consola/backup/"
BUCHAREST = ZoneInfo("Europe/Bucharest")
FULL, INCREMENTAL = Backup.Kind.FULL, Backup.Kind.INCREMENTAL
DONE, FAILED, RUNNING = Backup.Status.DONE, Backup.Status.FAILED, Backup.Status.RUNNING


@pytest.fixture
def operator(db):
    return provider(Role.OPERATOR)


def school_make(slug: str, *, status: str = School.Status.ACTIVE, age_days: int = 100) -> School:
    """A school row with no schema (the page reads only public)."""
    school = School.objects.create(
        name=f"Școala {slug}", slug=slug, schema_name=slug.replace("-", "_"), status=status, siiir_code=None
    )
    School.objects.filter(pk=school.pk).update(created_at=timezone.now() - timedelta(days=age_days))
    school.refresh_from_db()
    return school


def backup(school: School, kind: str, status: str, *, ago: timedelta, **fields) -> Backup:
    started = timezone.now() - ago
    finished = None if status == RUNNING else started + timedelta(seconds=40)
    return Backup.objects.create(
        school=school, kind=kind, status=status, source_schema=school.schema_name, started_at=started,
        finished_at=finished, **fields,
    )  # fmt: skip


def card_of(page: str, slug: str) -> str:
    """The HTML of one school's card."""
    start = page.index(f'data-testid="school-{slug}"')
    end = page.find('data-testid="school-', start + 1)
    return page[start : end if end != -1 else len(page)]


def drill(of: Backup, result: str, *, ago: timedelta, detail: str = "") -> RestoreDrill:
    started = timezone.now() - ago
    return RestoreDrill.objects.create(
        backup=of, started_at=started, finished_at=started + timedelta(minutes=2), result=result, detail=detail
    )


def opt_out(school: School, *, since: timedelta) -> IncrementalOptOut:
    return IncrementalOptOut.objects.create(
        school=school,
        started_at=timezone.now() - since,
        started_by="provider:operator.test",
        reason="contract încheiat",
    )


def anchor(schema: str, *, ago: timedelta, unmoved_for: timedelta | None = None, seq: int = 42) -> AuditAnchor:
    """The newest anchor of a chain, anchored `ago` and found unmoved up to `unmoved_for` ago."""
    now = timezone.now()
    return AuditAnchor.objects.update_or_create(
        schema=schema,
        defaults={
            "seq": seq, "hash": "a" * 64, "anchored_at": now - ago, "confirmed_at": now - (unmoved_for or ago),
            "key": f"catedra/anchors/{schema}/x.json", "location": f"file:///x/{schema}.json", "document": "{}",
        },
    )[0]  # fmt: skip


@pytest.fixture
def fleet(db):
    """Schools in the states the page must tell apart."""
    hour, day = timedelta(hours=1), timedelta(days=1)
    healthy = school_make("sanatoasa")
    backup(healthy, INCREMENTAL, DONE, ago=hour, rows_copied=1234)
    backup(healthy, FULL, DONE, ago=2 * hour, size=12_900_000, restore_verified_at=timezone.now() - hour)

    failing = school_make("esueaza")
    backup(failing, INCREMENTAL, DONE, ago=3 * day, rows_copied=7)
    backup(failing, INCREMENTAL, FAILED, ago=2 * day, error="incremental backup #1 failed: connection refused")
    backup(failing, INCREMENTAL, FAILED, ago=day,
           error="duplicate key: Key (email)=(ana.pop@exemplu.ro) already exists\nDETAIL: the row")  # fmt: skip
    backup(failing, FULL, DONE, ago=2 * hour, size=5_000_000)
    # A failure before the last success is over and done with.
    backup(failing, FULL, FAILED, ago=3 * hour, error="pg_dump failed: old trouble")

    never = school_make("fara-copii")

    mismatch = school_make("nepotrivire")
    backup(mismatch, INCREMENTAL, DONE, ago=hour, rows_copied=0)
    backup(mismatch, FULL, DONE, ago=2 * hour, size=4_000_000,
           verification="MISMATCH (2026-11-24 10:00): catalog_grade: 3 rows, expected 4")  # fmt: skip

    running = school_make("in-curs")
    backup(running, INCREMENTAL, DONE, ago=hour, rows_copied=1)
    backup(running, FULL, DONE, ago=40 * day, size=3_000_000, restore_verified_at=timezone.now() - 39 * day)
    backup(running, FULL, DONE, ago=2 * hour, size=3_100_000)
    backup(running, FULL, RUNNING, ago=timedelta(minutes=5))

    archived = school_make("arhivata", status=School.Status.ARCHIVED)
    backup(archived, INCREMENTAL, DONE, ago=90 * day, rows_copied=3)
    backup(archived, FULL, DONE, ago=90 * day, size=2_000_000, restore_verified_at=timezone.now() - 89 * day)

    drilled = school_make("exercitiu-esuat")
    backup(drilled, INCREMENTAL, DONE, ago=hour, rows_copied=2)
    drilled_full = backup(drilled, FULL, DONE, ago=3 * day, size=1_000_000, restore_verified_at=timezone.now() - day)
    drill(drilled_full, RestoreDrill.Result.PASSED, ago=2 * day)
    drill(drilled_full, RestoreDrill.Result.MISMATCH, ago=hour, detail="catalog_absence: 10 rows, expected 11")

    opted_out = school_make("incheiata", status=School.Status.ENDED)
    backup(opted_out, INCREMENTAL, DONE, ago=30 * day, rows_copied=0)
    backup(opted_out, FULL, DONE, ago=2 * hour, size=1_000_000)
    opt_out(opted_out, since=29 * day)

    renewed = school_make("reinnoita")  # an opt-out left open counts only while the school is ended
    backup(renewed, INCREMENTAL, DONE, ago=30 * day, rows_copied=0)
    backup(renewed, FULL, DONE, ago=2 * hour, size=1_000_000)
    opt_out(renewed, since=29 * day)

    newcomer = school_make("noua", age_days=0)  # created after the last scheduled runs

    stale = school_make("ancora-veche")  # backed up, but its audit chain not anchored for 3 hours
    backup(stale, INCREMENTAL, DONE, ago=hour, rows_copied=1)
    backup(stale, FULL, DONE, ago=2 * hour, size=1_000_000)
    anchor(stale.schema_name, ago=3 * hour)

    anchor(healthy.schema_name, ago=3 * day, unmoved_for=timedelta(minutes=20))  # an idle chain, checked hourly
    for school in (failing, mismatch, running, drilled, opted_out, renewed):
        anchor(school.schema_name, ago=timedelta(minutes=30), seq=7)
    school_make("in-creare", status=School.Status.PROVISIONING)  # not backed up yet: not shown
    return {"healthy": healthy, "failing": failing, "never": never, "mismatch": mismatch, "running": running,
            "archived": archived, "drilled": drilled, "opted_out": opted_out, "renewed": renewed,
            "newcomer": newcomer, "stale": stale}  # fmt: skip


# -- who may see it ------------------------------------------------------------------------


def test_provider_staff_see_the_page_and_the_console_links_to_it(operator):
    response = operator.get(URL)
    assert response.status_code == 200
    assert "Copii de siguranță" in response.content.decode()
    assert f'href="{URL}"' in operator.get("/consola/").content.decode()


def test_the_billing_role_reads_it_too(db):
    assert provider(Role.BILLING).get(URL).status_code == 200


def test_anonymous_people_are_sent_to_sign_in(db):
    assert host_client("localhost").get(URL)["Location"].startswith("/cont/login/")


def test_provider_staff_must_pass_2fa_first(db):
    operator = make_user("public", "fara.2fa", [Role.OPERATOR])
    client = host_client("localhost")
    login(client, operator.username)
    assert client.get(URL)["Location"].startswith("/cont/2fa/")


def test_a_school_user_never_reaches_it(school_a):
    director = make_user(school_a.schema_name, "director.copii", [Role.DIRECTOR])
    on_control_plane = host_client("localhost")
    login(on_control_plane, director.username)  # not a user of this host
    assert on_control_plane.get(URL)["Location"].startswith("/cont/login/")
    on_school = host_client(f"{SCHOOL_A}.localhost")
    sign_in_with_2fa(on_school, director, schema=school_a.schema_name)
    assert on_school.get(URL).status_code == 404


def test_a_control_plane_user_without_a_provider_role_is_refused(db):
    stranger = make_user("public", "fara.rol", [])
    client = host_client("localhost")
    assert login(client, stranger.username).status_code == 200  # the sign-in refuses them
    assert client.get(URL)["Location"].startswith("/cont/login/")
    client.force_login(stranger)  # a session made behind the backend's back does not count either
    assert client.get(URL)["Location"].startswith("/cont/login/")


# -- what it shows -------------------------------------------------------------------------


def test_a_healthy_school_shows_its_newest_backups_and_verification(operator, fleet):
    card = card_of(operator.get(URL).content.decode(), "sanatoasa")
    assert "Fără probleme" in card
    assert "Reușită" in card
    assert "1234 rânduri copiate" in card
    assert "12,3\xa0MO" in card  # Django's Romanian for megabytes
    assert "restaurare verificată la" in card
    assert "incrementală" in card and "completă" in card  # the next runs


def test_failures_since_the_last_success_are_listed_without_personal_data(operator, fleet):
    page = operator.get(URL).content.decode()
    card = card_of(page, "esueaza")
    assert "copia incrementală eșuează" in card
    assert "2 eșecuri de la ultima reușită" in card
    assert "connection refused" in card
    assert "ana.pop@exemplu.ro" not in page and "[redactat]" in card
    assert "DETAIL" not in card
    assert "old trouble" not in card  # failed before the last full backup that worked
    assert "neverificat" in card  # its newest full backup was never restored


def test_a_school_with_no_backups_is_overdue(operator, fleet):
    card = card_of(operator.get(URL).content.decode(), "fara-copii")
    assert "copia incrementală programată lipsește" in card
    assert "copia completă programată lipsește" in card
    assert card.count("niciuna") == 2


def test_a_failed_trial_restore_is_a_problem(operator, fleet):
    card = card_of(operator.get(URL).content.decode(), "nepotrivire")
    assert "verificarea prin restaurare a eșuat" in card
    assert "catalog_grade: 3 rows, expected 4" in card


def test_a_running_backup_is_shown_with_the_last_one_that_worked(operator, fleet):
    card = card_of(operator.get(URL).content.decode(), "in-curs")
    assert "În curs" in card
    assert "Ultima completă reușită" in card
    assert "neverificat" in card and "o copie mai veche a fost verificată" in card
    assert "Fără probleme" in card


def test_archived_and_new_schools_are_not_late_and_unready_ones_are_not_shown(operator, fleet):
    page = operator.get(URL).content.decode()
    assert "nu mai este programată" in card_of(page, "arhivata")
    assert "Fără probleme" in card_of(page, "arhivata")
    assert "Fără probleme" in card_of(page, "noua")
    assert "in-creare" not in page


def test_a_failed_restore_drill_is_a_problem_with_its_tables_named(operator, fleet):
    card = card_of(operator.get(URL).content.decode(), "exercitiu-esuat")
    assert "ultimul exercițiu de restaurare nu a reușit" in card
    assert "Diferențe față de sursă" in card and "catalog_absence: 10 rows, expected 11" in card
    assert "restaurare verificată la" in card  # the full backup's own verification is older


def test_an_ended_school_that_opted_out_is_not_late_for_its_daily_backup(operator, fleet):
    page = operator.get(URL).content.decode()
    ended = card_of(page, "incheiata")
    assert "Fără probleme" in ended
    assert "incrementala zilnică oprită din" in ended
    assert "completă" in ended  # the monthly full backup goes on
    renewed = card_of(page, "reinnoita")
    assert "copia incrementală programată lipsește" in renewed
    assert "oprită" not in renewed


def test_the_problems_filter_keeps_only_schools_with_problems(operator, fleet):
    page = operator.get(URL + "?probleme=1").content.decode()
    for slug in ("esueaza", "fara-copii", "nepotrivire", "exercitiu-esuat", "reinnoita"):
        assert f'data-testid="school-{slug}"' in page
    for slug in ("sanatoasa", "in-curs", "arhivata", "noua", "incheiata"):
        assert f'data-testid="school-{slug}"' not in page
    assert "checked" in page


def test_the_counts_say_how_many_schools_have_problems(fleet):
    before = overview.backup_counts(now=timezone.now())
    school_make("inca-una")
    after = overview.backup_counts(now=timezone.now())
    assert after == {"schools": before["schools"] + 1, "with_problems": before["with_problems"] + 1}
    assert before["with_problems"] >= 3


def test_each_card_shows_the_newest_anchor_of_the_schools_audit_chain(operator, fleet):
    page = operator.get(URL).content.decode()
    healthy = card_of(page, "sanatoasa")
    assert "evenimentul 42, ancorat la" in healthy
    assert "neschimbat la" in healthy  # an idle chain keeps its anchor and is not late
    assert "Fără probleme" in healthy
    assert "nicio ancoră" in card_of(page, "fara-copii")


def test_a_chain_not_anchored_in_2_hours_is_a_problem(operator, fleet):
    page = operator.get(URL).content.decode()
    assert "jurnalul de audit nu a fost ancorat în ultimele 2 ore" in card_of(page, "ancora-veche")
    assert "jurnalul de audit nu a fost ancorat" in card_of(page, "fara-copii")  # never anchored
    for slug in ("noua", "arhivata"):  # too new to be late; no schema, no trail any more
        assert "Fără probleme" in card_of(page, slug)
    assert 'data-testid="school-ancora-veche"' in operator.get(URL + "?probleme=1").content.decode()


def test_the_control_plane_chain_is_shown_with_a_warning_when_late(operator):
    AuditAnchor.objects.filter(schema="public").delete()
    line = operator.get(URL).content.decode().split('data-testid="control-plane-anchor"')[1].split("</p>")[0]
    assert 'class="error"' in line and "nicio ancoră" in line and "nu a fost ancorat în ultimele 2 ore" in line

    anchor("public", ago=timedelta(minutes=10), seq=7)
    line = operator.get(URL).content.decode().split('data-testid="control-plane-anchor"')[1].split("</p>")[0]
    assert "evenimentul 7, ancorat la" in line and "error" not in line


@pytest.mark.parametrize(
    "query",
    ["probleme=da", "probleme=", "pagina=-1", "pagina=abc", "pagina=99999", "q=" + "x" * 5000,
     "q=%27%3B--", "probleme=1&probleme=0", "q=%E2%80%AE", "q=%ff"],
)  # fmt: skip
def test_any_query_string_gets_a_page(operator, fleet, query):
    assert operator.get(f"{URL}?{query}").status_code == 200


def test_the_search_finds_a_school_by_name_or_slug(operator, fleet):
    page = operator.get(URL + "?q=nepotriv").content.decode()
    assert 'data-testid="school-nepotrivire"' in page
    assert 'data-testid="school-sanatoasa"' not in page


# -- queries ---------------------------------------------------------------------------------


def many_schools(count: int, *, first: int = 0) -> None:
    """`count` schools with a history each: done, failed and running backups of both kinds,
    a restore drill; every other school ended, with its daily backup switched off."""
    now = timezone.now()
    schools = School.objects.bulk_create(
        School(name=f"Școala de probă {n}", slug=f"proba-{n}", schema_name=f"proba_{n}",
               status=School.Status.ENDED if n % 2 else School.Status.ACTIVE) for n in range(first, first + count)
    )  # fmt: skip
    rows = []
    for school in schools:
        for days, kind, status in ((3, INCREMENTAL, DONE), (2, INCREMENTAL, FAILED), (1, INCREMENTAL, DONE),
                                   (40, FULL, DONE), (10, FULL, FAILED), (0, FULL, RUNNING)):  # fmt: skip
            rows.append(Backup(school=school, kind=kind, status=status, source_schema=school.schema_name,
                               started_at=now - timedelta(days=days, minutes=5), size=1000, error="x"))  # fmt: skip
    backups = Backup.objects.bulk_create(rows)
    RestoreDrill.objects.bulk_create(
        RestoreDrill(backup=done, started_at=now, result=RestoreDrill.Result.MISMATCH, detail="t: 1 rows, expected 2")
        for done in backups if done.kind == FULL and done.status == DONE
    )  # fmt: skip
    IncrementalOptOut.objects.bulk_create(
        IncrementalOptOut(school=school, started_at=now, started_by="tests", reason="încheiat")
        for school in schools if school.status == School.Status.ENDED
    )  # fmt: skip


def page_queries(client, query: str = "") -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL + query).status_code == 200
    return len(captured)


# Routing, session, user and 2FA device: 6; the page: count, schools, backups, failures, totals,
# the control plane's anchor.
MAX_QUERIES = 12


@pytest.mark.parametrize("query", ["", "?probleme=1"])
def test_the_page_costs_the_same_queries_for_3_and_30_schools(operator, django_assert_max_num_queries, query):
    many_schools(3)
    with django_assert_max_num_queries(MAX_QUERIES):
        operator.get(URL + query)
    few = page_queries(operator, query)
    many_schools(27, first=3)
    with django_assert_max_num_queries(MAX_QUERIES):
        page = operator.get(URL + query).content.decode()
    assert page.count('data-testid="school-proba-') == 30
    assert page_queries(operator, query) == few


# -- the schedule ----------------------------------------------------------------------------


def local(*args) -> datetime:
    return datetime(*args, tzinfo=BUCHAREST)


@pytest.fixture
def schedule(settings):
    settings.CELERY_TIMEZONE = "Europe/Bucharest"
    settings.BACKUP_INCREMENTAL_TIME = "02:30"
    settings.BACKUP_FULL_TIME = "03:30"
    settings.BACKUP_FULL_DAY = 1
    return settings


def test_the_next_incremental_is_today_before_its_time_and_tomorrow_after(schedule):
    assert overview.incremental_run_next(now=local(2026, 11, 24, 1, 0)) == local(2026, 11, 24, 2, 30)
    assert overview.incremental_run_next(now=local(2026, 11, 24, 2, 30)) == local(2026, 11, 25, 2, 30)
    assert overview.incremental_run_next(now=local(2026, 11, 24, 12, 0)) == local(2026, 11, 25, 2, 30)


def test_the_next_runs_cross_month_and_year_ends(schedule):
    assert overview.incremental_run_next(now=local(2026, 12, 31, 23, 0)) == local(2027, 1, 1, 2, 30)
    assert overview.full_run_next(now=local(2026, 11, 24, 12, 0)) == local(2026, 12, 1, 3, 30)
    assert overview.full_run_next(now=local(2026, 12, 1, 3, 29)) == local(2026, 12, 1, 3, 30)
    assert overview.full_run_next(now=local(2026, 12, 1, 3, 31)) == local(2027, 1, 1, 3, 30)


def test_a_full_day_some_months_lack_skips_those_months(schedule):
    schedule.BACKUP_FULL_DAY = 31
    assert overview.full_run_next(now=local(2026, 3, 31, 12, 0)) == local(2026, 5, 31, 3, 30)  # April has 30
    schedule.BACKUP_FULL_DAY = 29
    assert overview.full_run_next(now=local(2027, 1, 30, 0, 0)) == local(2027, 3, 29, 3, 30)  # no 29 February


def test_the_next_runs_keep_local_time_across_daylight_saving_changes(schedule):
    # 29 March 2026: Bucharest moves from UTC+2 to UTC+3 at 03:00.
    before = overview.incremental_run_next(now=local(2026, 3, 28, 12, 0))
    after = overview.incremental_run_next(now=before)
    assert before.astimezone(UTC) == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    assert after.astimezone(UTC) == datetime(2026, 3, 29, 23, 30, tzinfo=UTC)  # 02:30 local, 23 hours later
    # 25 October 2026: back from UTC+3 to UTC+2 at 04:00; the next day is 25 hours long.
    autumn = overview.incremental_run_next(now=local(2026, 10, 25, 12, 0))
    assert autumn.astimezone(UTC) == datetime(2026, 10, 26, 0, 30, tzinfo=UTC)


def test_a_run_at_a_time_the_clock_skips_or_repeats(schedule):
    schedule.BACKUP_FULL_DAY = 29
    schedule.BACKUP_FULL_TIME = "03:30"  # 29 March 2026 has no 03:30: it runs at 04:30 summer time
    spring = overview.full_run_next(now=local(2026, 3, 1, 12, 0))
    assert spring.astimezone(UTC) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    schedule.BACKUP_FULL_DAY = 25  # 25 October 2026 has 03:30 twice: the first one counts
    autumn = overview.full_run_next(now=local(2026, 10, 1, 12, 0))
    assert autumn.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_a_run_counts_as_missed_only_after_the_grace_period(schedule, db):
    school = school_make("ieri")
    yesterday_run = local(2026, 11, 23, 2, 30)
    Backup.objects.create(school=school, kind=INCREMENTAL, status=DONE, source_schema=school.schema_name,
                          started_at=yesterday_run + timedelta(minutes=3))  # fmt: skip
    School.objects.filter(pk=school.pk).update(created_at=local(2026, 1, 1, 0, 0))

    def late(now: datetime) -> bool:
        return overview.schools_backed_up(now=now).get(pk=school.pk).incremental_overdue

    assert not late(local(2026, 11, 24, 2, 30) + overview.GRACE - timedelta(minutes=1))
    assert late(local(2026, 11, 24, 2, 30) + overview.GRACE)
