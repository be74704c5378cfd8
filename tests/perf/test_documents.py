"""Document figures: one transcript and one certificate (target < 1 s each), and the
catalog of a class of 30 students x 15 subjects with a year of grades (target < 10 s)."""

import time
from datetime import date, timedelta

import pytest

from catalog.attendance.models import Absence
from catalog.grades.models import Average, Grade
from catalog.reports import services
from catalog.structure import services as structure
from catalog.structure.identity import SchoolIdentity
from catalog.structure.models import Enrolment
from tests.catalog.conftest import cnp_for
from tests.catalog.reports.conftest import pdf_text
from tests.perf.budget import within

pytestmark = [pytest.mark.perf, pytest.mark.slow]

VERIFY = "https://school-a.localhost/verificare/"
STUDENTS, SUBJECTS, GRADES_PER_SUBJECT = 30, 15, 6


def timed(work):
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


@pytest.fixture
def full_class(cast):
    """V A with 30 students, 15 subjects, 6 grades each per subject, an absence a week, the
    averages closed: a year's catalog."""
    school_class, admin = cast.class_5a, cast.admin
    subjects = [cast.math, cast.romanian, cast.pe, cast.religion]
    for n in range(SUBJECTS - len(subjects)):
        subject = structure.subject_create(actor=admin, name=f"Disciplina {n + 1} – științe și țări", position=20 + n)
        structure.curriculum_set(actor=admin, school_class=school_class, subject=subject, weekly_hours=2)
        structure.assignment_create(actor=cast.director, teacher=cast.mihai, school_class=school_class, subject=subject)
        subjects.append(subject)
    for n in range(STUDENTS - Enrolment.objects.filter(school_class=school_class).count()):
        structure.student_create(actor=admin, first_name=f"Ștefan{n}", last_name="Țăranu",
                                 cnp=cnp_for(date(2015, 1, 1) + timedelta(days=n), 400 + n),
                                 school_class=school_class, starts=cast.year.starts)  # fmt: skip
    students = [e.student_id for e in Enrolment.objects.filter(school_class=school_class)]
    days = [cast.year.starts + timedelta(days=7 * week + 1) for week in range(30)]
    Grade.objects.bulk_create(
        Grade(student_id=s, school_class=school_class, subject=subject, teacher=cast.mihai, value=5 + (s + g) % 6,
              on=days[(g * 5) % len(days)])
        for s in students for subject in subjects for g in range(GRADES_PER_SUBJECT)
    )  # fmt: skip
    Absence.objects.bulk_create(
        Absence(student_id=s, school_class=school_class, subject=subjects[w % len(subjects)], teacher=cast.mihai,
                on=days[w], hour=1 + w % 6)
        for s in students for w in range(0, len(days), 3)
    )  # fmt: skip
    Average.objects.bulk_create(
        Average(student_id=s, school_class=school_class, subject=subject, value=8, closed_by=cast.mihai)
        for s in students for subject in subjects
    )  # fmt: skip
    return school_class


def test_a_transcript_a_certificate_and_a_class_catalog(cast, full_class, school_a, capsys):
    school = SchoolIdentity.of(school_a)
    student = cast.ana
    services.transcript_issue(actor=cast.admin, student=student, school=school, verify_url=VERIFY)  # warm up
    transcript, transcript_s = timed(
        lambda: services.transcript_issue(actor=cast.admin, student=student, school=school, verify_url=VERIFY)
    )
    certificate, certificate_s = timed(
        lambda: services.certificate_issue(
            actor=cast.admin, student=student, purpose="alocația de stat", school=school, verify_url=VERIFY
        )
    )
    catalog, catalog_s = timed(
        lambda: services.class_catalog_issue(
            actor=cast.director, school_class=full_class, school=school, verify_url=VERIFY
        )
    )
    text, pages = pdf_text(catalog.pdf)
    with capsys.disabled():
        print(f"\ndocuments: transcript {transcript_s * 1000:.0f} ms, certificate {certificate_s * 1000:.0f} ms "
              f"(target < 1 s); class catalog {STUDENTS} students x {SUBJECTS} subjects x {GRADES_PER_SUBJECT} "
              f"grades: {catalog_s:.2f} s, {pages} pages, {len(catalog.pdf) // 1024} KB (target < 10 s)")  # fmt: skip
    assert f"Pagina {pages} din {pages}" in text and text.count("Țăranu") >= STUDENTS - 4
    assert transcript.pdf and certificate.pdf
    assert within(transcript_s, 1.0) and within(certificate_s, 1.0) and within(catalog_s, 10.0)
