"""The year-end archive of a school (`make bench`: 40 classes of the demo's catalog with a
whole year of grades; `make test`: 9): how long it takes, the peak memory, and that memory
stays flat as classes are added (each class's catalog is rendered, stored and let go)."""

import time
import tracemalloc

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from catalog.reports import archive, services
from catalog.reports.models import YearArchive
from catalog.structure.identity import SchoolIdentity
from catalog.structure.models import SchoolYear
from tests.perf.budget import FULL_SIZE, sized
from tests.perf.schools import LARGE, demo_school

pytestmark = [pytest.mark.perf, pytest.mark.slow]

GROWTH_ALLOWED = 30 * 1024 * 1024  # what Python may hold more after the last class than after the first


def test_a_year_archive_streams_class_by_class(django_db_setup, django_db_blocker, local_storage, monkeypatch, capsys):
    classes = sized(LARGE[:40], LARGE[::6])
    held: list[int] = []
    render = services.class_catalog_issue

    def measured(**kwargs):
        issued = render(**kwargs)
        held.append(tracemalloc.get_traced_memory()[0])
        return issued

    monkeypatch.setattr(services, "class_catalog_issue", measured)
    with (
        django_db_blocker.unblock(),
        demo_school(
            slug="scoala-arhiva",
            name="Școala „Arhiva Anului”",
            siiir_code="1661100014",
            classes=classes,
            people="arhiva",
        ) as school,
    ):
        with schema_context(school.schema_name):
            year = SchoolYear.objects.order_by("starts").first()
            found = YearArchive.objects.create(
                year=year, version=1, requested_by=User.objects.get(username="secretara.arhiva"),
                signed_off_at=timezone.now(), signed_off_with="StaticDevice", total=year.classes.count(),
            )  # fmt: skip
            tracemalloc.start()
            started = time.perf_counter()
            sealed = archive.archive_build(archive_id=found.pk, school=SchoolIdentity.of(school),
                                           verify_url="https://scoala-arhiva.localhost/verificare/")  # fmt: skip
            seconds = time.perf_counter() - started
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            assert archive.archive_verify(sealed) == []
            size = sum(entry["size"] for entry in sealed.files)
        connection.set_schema_to_public()
    with capsys.disabled():
        print(f"\nyear archive ({'full' if FULL_SIZE else 'CI'} size): {len(held)} classes in {seconds / 60:.1f} min "
              f"({seconds / max(1, len(held)):.1f} s a class), {size // 1024} KB of PDF; Python's peak "
              f"{peak / 2**20:.0f} MB; held after the first class {held[0] / 2**20:.1f} MB, after the last "
              f"{held[-1] / 2**20:.1f} MB")  # fmt: skip
    assert sealed.status == "sealed" and len(held) == len(classes)
    assert held[-1] - held[0] < GROWTH_ALLOWED, "memory grows with the classes"
