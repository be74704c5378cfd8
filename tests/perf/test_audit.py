"""Audit figures (printed; the pass/fail of the audit trail lives in tests/audit).
Targets: auditing a write costs < 25% more than the same write without the audit layer;
`catedra audit verify` over 1,000,000 events < 60 s."""

import datetime
import hashlib
import io
import json
import statistics
import time

import pytest
from django.db import connection, transaction
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.services import user_update
from audit.actions import Action
from audit.chain import CONTENT_FIELDS, GENESIS, content_hash, link_hash
from audit.selectors import chain_report
from audit.services import audit_record
from provisioning.schemas import schema_create_from_template, schema_drop

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


def history_triggers(enabled: bool) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE accounts_user {'ENABLE' if enabled else 'DISABLE'} TRIGGER USER")
        cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")


def bare_write(user: User, n: int, *, audited: bool) -> None:
    """The smallest write there is: one UPDATE, committed (with its event, if audited)."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(first_name=f"Ana{n}")
        if audited:
            audit_record(
                action=Action.USER_CHANGED, actor="job:bench", obj=user, person=user,
                old={"first_name": f"Ana{n - 1}"}, new={"first_name": f"Ana{n}"},
            )  # fmt: skip


def service_write(user: User, n: int, *, audited: bool, actor: User) -> None:
    """A write as the product makes it: the account service changing a name."""
    user_update(actor=actor, user=user, first_name=f"Ana{n}", last_name="Bench", roles=["teacher"], email="")


def per_write(write, rounds: int = 200, **kwargs) -> float:
    started = time.perf_counter()
    for n in range(rounds):
        write(n=n, **kwargs)
    return (time.perf_counter() - started) / rounds


def overhead(write, monkeypatch, **kwargs) -> tuple[float, float]:
    """Median seconds per write without and with the audit layer (event and row history),
    interleaved so that both see the same machine."""
    plain, audited = [], []
    for _round in range(7):
        history_triggers(enabled=False)
        with monkeypatch.context() as patch:
            patch.setattr("accounts.services.audit_record", lambda **kw: None)
            plain.append(per_write(write, audited=False, **kwargs))
        history_triggers(enabled=True)
        audited.append(per_write(write, audited=True, **kwargs))
    return statistics.median(plain), statistics.median(audited)


def test_overhead_of_auditing_one_write(scratch_schema, monkeypatch, capsys):
    user = User.objects.create(username="ana.bench", first_name="Ana", last_name="Bench", roles=["teacher"])
    secretary = User.objects.create(username="secretara.bench", roles=["school_admin"])
    service = overhead(service_write, monkeypatch, user=user, actor=secretary)
    bare = overhead(bare_write, monkeypatch, user=user)
    with capsys.disabled():
        for label, (plain, audited) in (("account change (service)", service), ("bare one-row UPDATE", bare)):
            change = 100 * (audited / plain - 1)
            print(f"\n[perf] audit overhead, {label}: {plain * 1000:.3f} ms without, {audited * 1000:.3f} ms with "
                  f"event and row history: {change:+.0f}% (target < 25% for a write)", end="")  # fmt: skip
        print()


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
