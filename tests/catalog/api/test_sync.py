"""Incremental sync against a school whose writes commit: a client that keeps the watermark
never misses nor repeats a change, deletions included, while a teacher writes."""

import time

import pytest
from django_tenants.utils import schema_context

from catalog.grades import services as grades
from catalog.grades.models import Grade
from tests.catalog.api.live_school import Writer, live_school_drop, live_school_make

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        made = live_school_make("scoala-sync")
        try:
            yield made
        finally:
            live_school_drop(made)


class Copy:
    """What a ministry system keeps: the rows by id, and the watermark of its last sync."""

    def __init__(self, api, resource: str = "grades", limit: int = 7):
        self.api, self.resource, self.limit = api, resource, limit
        self.rows: dict[int, dict] = {}
        self.watermark: str | None = None
        self.pages = 0

    def sync(self) -> tuple[int, int]:
        """One sync to the end of the listing; (items, tombstones) it brought. Within one
        sync an id comes at most once."""
        params = {"limit": self.limit, **({"updated_since": self.watermark} if self.watermark else {})}
        seen: list[int] = []
        deleted = 0
        while True:
            response = self.api(self.resource, **params)
            assert response.status_code == 200, response.content
            body = response.json()
            self.pages += 1
            for item in body["items"]:
                self.rows[item["id"]] = item
                seen.append(item["id"])
            for obj_id in body["deleted"]:
                self.rows.pop(obj_id, None)
                seen.append(obj_id)
                deleted += 1
            if body["next"] is None:
                assert len(seen) == len(set(seen)), "an id came twice in one sync"
                self.watermark = body["watermark"]
                return len(seen) - deleted, deleted
            params = {"limit": self.limit, "cursor": body["next"]}


def _database(live) -> dict[int, tuple]:
    with schema_context(live.school.schema_name):
        return {g.pk: (g.value, g.calificativ or None, g.on.isoformat()) for g in Grade.objects.all()}


def _copied(copy: Copy) -> dict[int, tuple]:
    return {pk: (item["value"], item["calificativ"], item["on"]) for pk, item in copy.rows.items()}


def test_a_window_brings_additions_changes_and_tombstones(live, django_db_blocker):
    with django_db_blocker.unblock():
        copy = Copy(live.api())
        with schema_context(live.school.schema_name):
            kept, changed, removed = live.grade(1), live.grade(2), live.grade(3)
        copy.sync()
        assert {kept.pk, changed.pk, removed.pk} <= set(copy.rows)
        with schema_context(live.school.schema_name):
            added = live.grade(4)
            grades.grade_change(teacher=live.teacher, grade=changed, value=9, reason="recorectată")
            grades.grade_delete(teacher=live.teacher, grade=removed, reason="pusă din greșeală")
        brought, tombstones = copy.sync()
        assert (brought, tombstones) == (2, 1)
        assert copy.rows[changed.pk]["value"] == 9 and added.pk in copy.rows and removed.pk not in copy.rows
        assert _copied(copy) == _database(live)
        # Nothing new: the same watermark comes back, and the page's ETag makes it a 304.
        before = copy.watermark
        assert copy.sync() == (0, 0) and copy.watermark == before
        first = live.api()("grades", updated_since=before)
        again = live.api()("grades", updated_since=before, headers={"If-None-Match": first["ETag"]})
        assert again.status_code == 304


def test_a_client_polling_while_a_teacher_writes_ends_with_exactly_the_database(live, django_db_blocker):
    with django_db_blocker.unblock():
        copy = Copy(live.api(), limit=5)
        writer = Writer(live)
        writer.start()
        try:
            polls = 0
            deadline = time.monotonic() + 120
            while (writer.done < 60 or polls < 10) and time.monotonic() < deadline and not writer.errors:
                copy.sync()
                polls += 1
        finally:
            writer.stop.set()
            writer.join()
        assert writer.errors == []
        assert writer.done >= 60 and polls >= 10
        copy.sync()
        assert _copied(copy) == _database(live)
        # The full state again, from scratch, agrees too.
        fresh = Copy(live.api(), limit=50)
        fresh.sync()
        assert _copied(fresh) == _database(live)


def test_students_sync_when_their_account_changes(live, django_db_blocker):
    with django_db_blocker.unblock():
        copy = Copy(live.api(), resource="students")
        copy.sync()
        student = live.students[0]
        with schema_context(live.school.schema_name):
            student.user.last_name = "Schimbat"
            student.user.save()
        assert copy.sync() == (1, 0)
        assert copy.rows[student.pk]["last_name"] == "Schimbat"


def test_paging_a_10000_grade_school_while_grades_are_added_has_no_duplicates_or_gaps(live, django_db_blocker):
    with django_db_blocker.unblock():
        with schema_context(live.school.schema_name):
            day = live.grade(0).on
            Grade.objects.bulk_create(
                Grade(student=live.students[n % len(live.students)], school_class=live.school_class,
                      subject=live.subject, teacher=live.teacher, value=1 + n % 10, on=day)
                for n in range(10_000)
            )  # fmt: skip
            before = set(Grade.objects.values_list("pk", flat=True))
        assert len(before) >= 10_000
        copy = Copy(live.api(), limit=500)
        writer = Writer(live)
        writer.start()
        try:
            copy.sync()  # asserts that no id came twice
        finally:
            writer.stop.set()
            writer.join()
        assert writer.errors == [] and writer.done > 0
        missing = before - set(copy.rows)
        deleted_since = before - set(_database(live))
        assert missing <= deleted_since  # every grade there at the start and still there was listed
        copy.sync()  # and the window after the listing brings what was written meanwhile
        assert _copied(copy) == _database(live)
