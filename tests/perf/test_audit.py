"""Audit figures (printed; the pass/fail of the audit trail lives in tests/audit).
Targets: auditing a write costs < 25% more than the same write without the audit layer;
`catedra audit verify` over 1,000,000 events < 60 s."""

import contextlib
import datetime
import hashlib
import io
import itertools
import json
import statistics
import time
import uuid
from dataclasses import dataclass

import pytest
from django.db import connection, transaction
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.services import user_update
from audit.actions import Action
from audit.chain import CONTENT_FIELDS, GENESIS, content_hash, link_hash
from audit.models import Source
from audit.selectors import chain_report
from audit.services import audit_context, audit_record
from catalog.grades import services as grades
from catalog.structure import services as structure
from catalog.structure.models import Level, SchoolClass, SchoolYear, Student, Subject
from provisioning.schemas import schema_create_from_template, schema_drop
from tests.catalog.conftest import cnp_for, past_day, school_year_bounds

pytestmark = [pytest.mark.perf, pytest.mark.slow]


@pytest.fixture
def scratch_schema(django_db_setup, django_db_blocker):
    """A school schema of its own, with real commits (no test transaction), dropped after."""
    with django_db_blocker.unblock():
        schema_create_from_template("bench_audit")
        try:
            with schema_context("bench_audit"):
                yield "bench_audit"
        finally:
            connection.set_schema_to_public()
            schema_drop("bench_audit")


def history_triggers(enabled: bool, table: str = "accounts_user") -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} {'ENABLE' if enabled else 'DISABLE'} TRIGGER USER")
        cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")


_names = itertools.count()  # every write changes the name, so every audited write leaves a history row


def bare_write(user: User, *, audited: bool) -> None:
    """The smallest write there is: one UPDATE, committed (with its event, if audited)."""
    n = next(_names)
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(first_name=f"Ana{n}")
        if audited:
            audit_record(
                action=Action.USER_CHANGED, actor="job:bench", obj=user, person=user,
                old={"first_name": f"Ana{n - 1}"}, new={"first_name": f"Ana{n}"},
            )  # fmt: skip


def service_write(user: User, *, audited: bool, actor: User) -> None:
    """A write as the product makes it: the account service changing a name."""
    user_update(actor=actor, user=user, first_name=f"Ana{next(_names)}", last_name="Bench", roles=["teacher"])


def request_write(user: User, *, audited: bool, actor: User) -> None:
    """The same write in the audit context a writing request opens (the middleware's): the
    row history then also carries the request's actor and id (pghistory's context)."""
    if not audited:
        service_write(user, audited=False, actor=actor)
        return
    with audit_context(source=Source.PAGE, request_id=uuid.uuid4().hex, ip="10.0.0.1"):
        service_write(user, audited=True, actor=actor)


@dataclass(frozen=True)
class GradeBook:
    teacher: User
    student: Student
    school_class: SchoolClass
    subject: Subject
    day: datetime.date


def grade_book() -> GradeBook:
    """A teacher of mathematics in 5A and one student, made through the services."""
    admin = User.objects.create(username="secretara.note", roles=["school_admin"])
    teacher = User.objects.create(username="mihai.mate", first_name="Mihai", last_name="Popescu", roles=["teacher"])
    starts, ends = school_year_bounds()
    year = structure.year_create(
        actor=admin, name=f"{starts.year}-{ends.year}", starts=starts, ends=ends, structure=SchoolYear.Structure.MODULES
    )
    math = structure.subject_create(actor=admin, name="Matematică", position=2)
    class_5a = structure.class_create(actor=admin, year=year, level=Level.V, letter="A")
    structure.curriculum_set(actor=admin, school_class=class_5a, subject=math, weekly_hours=4)
    structure.assignment_create(actor=admin, teacher=teacher, school_class=class_5a, subject=math)
    ana = structure.student_create(
        actor=admin, first_name="Ana", last_name="Marin", cnp=cnp_for(datetime.date(2015, 3, 14), 101),
        school_class=class_5a, starts=year.starts,
    )  # fmt: skip
    return GradeBook(teacher, ana, class_5a, math, past_day(year))


def grade_write(book: GradeBook, *, audited: bool) -> None:
    """The catalog's own write: a teacher adds a grade (its checks read the assignment, the
    year, the enrolment, exemptions and closed averages first)."""
    grades.grade_add(
        teacher=book.teacher, student=book.student, school_class=book.school_class, subject=book.subject,
        on=book.day, value=next(_names) % 10 + 1,
    )  # fmt: skip


ROUNDS, WRITES = 30, 15


@contextlib.contextmanager
def audit_layer(monkeypatch, *, on: bool, table: str, service: str, parts: tuple[str, ...] = ("history", "event")):
    """With the layer: row-history triggers and audit events (or only the `parts` named).
    Without: neither."""
    history_triggers(enabled=on and "history" in parts, table=table)
    with monkeypatch.context() as patch:
        if not (on and "event" in parts):
            patch.setattr(f"{service}.audit_record", lambda **kw: None)
        yield


def overhead(
    write, monkeypatch, table="accounts_user", service="accounts.services", parts=("history", "event"), **kwargs
):
    """Median seconds per write without and with the audit layer, and the overhead of each
    round. Short blocks of writes alternate between the two (ABBA order, a warm-up write
    after each switch), so both see the same machine; medians keep the disk's stalls (the
    commit waits for its flush) out of the figure. The same work on both sides."""
    times: dict[bool, list[float]] = {False: [], True: []}
    rounds = []
    for round_ in range(ROUNDS):
        block = {}
        for audited in (False, True) if round_ % 2 == 0 else (True, False):
            with audit_layer(monkeypatch, on=audited, table=table, service=service, parts=parts):
                write(audited=audited, **kwargs)  # not timed: the switch made the session re-plan
                block[audited] = []
                for _write in range(WRITES):
                    started = time.perf_counter()
                    write(audited=audited, **kwargs)
                    block[audited].append(time.perf_counter() - started)
            times[audited] += block[audited]
        rounds.append(statistics.median(block[True]) / statistics.median(block[False]) - 1)
    return statistics.median(times[False]), statistics.median(times[True]), rounds


def test_overhead_of_auditing_one_write(scratch_schema, monkeypatch, capsys):
    user = User.objects.create(username="ana.bench", first_name="Ana", last_name="Bench", roles=["teacher"])
    secretary = User.objects.create(username="secretara.bench", roles=["school_admin"])
    cases = (
        ("account change (service)", service_write, {"user": user, "actor": secretary}),
        ("bare one-row UPDATE", bare_write, {"user": user}),
        ("account change in a request's audit context", request_write, {"user": user, "actor": secretary}),
        (
            "a grade added (the catalog's write, for scale)", grade_write,
            {"book": grade_book(), "table": "grades_grade", "service": "catalog.grades.services"},
        ),
    )  # fmt: skip
    for label, write, kwargs in cases:
        durable = overhead(write, monkeypatch, **kwargs)
        with commits_not_waiting_for_the_disk():
            work = overhead(write, monkeypatch, **kwargs)
        with capsys.disabled():
            print(f"\n[perf] audit overhead, {label}: {describe(*durable)}", end="")
            print(f"\n[perf]     the same, commits not waiting for the disk: {describe(*work)}", end="")
    # Where the bare UPDATE's overhead comes from: each half of the layer alone, against nothing.
    for part, label in (("history", "the row-history trigger alone"), ("event", "the audit event alone")):
        with commits_not_waiting_for_the_disk():
            work = overhead(bare_write, monkeypatch, service=__name__, parts=(part,), user=user)
        with capsys.disabled():
            print(f"\n[perf]     bare one-row UPDATE, {label} (commits not waiting): {describe(*work)}", end="")
    with capsys.disabled():
        print()


@contextlib.contextmanager
def commits_not_waiting_for_the_disk():
    """The write's own work: the commit's flush, the same on both sides and on a shared
    machine by far the noisiest part, left out (a stricter figure: the base is smaller)."""
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def describe(plain: float, audited: float, rounds: list[float]) -> str:
    low, _median, high = statistics.quantiles(rounds, n=4)
    return (
        f"{plain * 1000:.3f} ms without, {audited * 1000:.3f} ms with event and row history (medians of "
        f"{ROUNDS * WRITES} writes each): {100 * (audited / plain - 1):+.0f}% (quartiles of the rounds "
        f"{100 * low:+.0f}%..{100 * high:+.0f}%; target < 25% for a write)"
    )


def chained_rows(count: int):
    """`count` events as COPY lines, chained as the database would chain them."""
    prev, start = GENESIS, datetime.datetime(2025, 9, 1, tzinfo=datetime.UTC)
    for seq in range(1, count + 1):
        content = {
            "occurred_at": start + datetime.timedelta(seconds=seq), "actor_kind": "user", "actor_id": seq % 40 + 1,
            "actor_name": "Maria Ionescu (maria.ionescu)", "actor_roles": "teacher", "action": "grade.added",
            "object_type": "grades.grade", "object_id": str(seq), "person_id": seq % 1000 + 1,
            "person_name": "Ana Popescu (ana.popescu)", "old_values": {}, "new_values": {"value": seq % 10 + 1},
            "reason": "", "request_id": hashlib.md5(str(seq).encode()).hexdigest(), "ip": "10.0.0.1",  # noqa: S324
            "source": "page",
        }  # fmt: skip
        own = content_hash(content)
        digest = link_hash(prev, own)
        values = [str(seq), prev, digest, own, content["occurred_at"].isoformat()]
        values += [_copy_value(content[name]) for name in CONTENT_FIELDS[1:]]
        yield "\t".join(values) + "\n"
        prev = digest


def _copy_value(value) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def test_verify_one_million_events(scratch_schema, capsys):
    count = 1_000_000
    started = time.perf_counter()
    columns = ", ".join(("seq", "prev_hash", "hash", "content_hash", *CONTENT_FIELDS))
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_chain")  # rows come chained
        buffer = io.StringIO()
        with cursor.cursor.copy(f"COPY audit_auditevent ({columns}) FROM STDIN") as copy:
            for n, line in enumerate(chained_rows(count), 1):
                buffer.write(line)
                if n % 50_000 == 0:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
            copy.write(buffer.getvalue())
        cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_chain")
        cursor.execute("ANALYZE audit_auditevent")
    made = time.perf_counter() - started
    started = time.perf_counter()
    report = chain_report()
    seconds = time.perf_counter() - started
    assert report.intact and report.events == count, report
    with capsys.disabled():
        print(f"\n[perf] audit verify: {count:,} events in {seconds:.1f} s, {count / seconds:,.0f} events/s "
              f"(target < 60 s; making them took {made:.1f} s)")  # fmt: skip
