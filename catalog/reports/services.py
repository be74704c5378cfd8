"""Issuing documents: who may, the certificate register's number, the PDF, the record kept
for verification, the audit event. One transcript or certificate renders inline (well under
a second); the door sends the PDF back."""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Role
from accounts.services import NotAllowed
from audit.actions import Action
from audit.services import audit_record
from catalog.grades.models import YearResult
from catalog.grades.selectors import class_standings, disciplines_of
from catalog.grades.statistics import year_statistics
from catalog.notify.models import Kind
from catalog.notify.services import document_text, families_notify
from catalog.reports import codes, documents
from catalog.reports.models import CertificateCounter, IssuedDocument
from catalog.reports.pdf import pdf_render, qr_data_uri
from catalog.structure.identity import SchoolIdentity
from catalog.structure.models import LearningPeriod, SchoolClass, SchoolYear, Student
from catalog.structure.selectors import class_of, period_ends, year_current

SECRETARIAT = (Role.DIRECTOR, Role.DEPUTY, Role.SCHOOL_ADMIN)
NOT_ENROLLED = _("Elevul nu este înscris în anul școlar curent: adeverința nu se poate elibera.")
NO_YEAR = _("Nu există un an școlar curent.")
PURPOSE_MISSING = _("Scrieți pentru ce se eliberează adeverința (de exemplu „alocația de stat”).")
STATUS_LABELS = dict(YearResult.Status.choices)
NOT_REVOKER = _("Doar secretariatul și conducerea școlii anulează documente.")


@dataclass(frozen=True)
class Issued:
    document: IssuedDocument
    pdf: bytes

    @property
    def filename(self) -> str:
        return f"{self.document.kind}-{self.document.code}.pdf"


def _issue(*, actor: User, school: SchoolIdentity, verify_url: str, template: str, context: dict, **fields) -> Issued:
    """Record the document, render it with its code, keep its SHA-256, audit: one transaction
    (a certificate's number is taken in it, so a failed render gives the number back)."""
    with transaction.atomic():
        document = IssuedDocument.objects.create(code=codes.code_new(), issued_by=actor, **fields)
        shown = codes.code_shown(document.code)
        link = f"{verify_url.rstrip('/')}/{document.code}/"
        pdf = pdf_render(template, {
            **context, "school": school, "document": document, "code": shown, "verify_url": link,
            "qr": qr_data_uri(link), "generated_at": timezone.localtime(), "issued_by": actor,
        })  # fmt: skip
        document.sha256 = hashlib.sha256(pdf).hexdigest()
        document.save(update_fields=["sha256"])
        audit_record(
            action=Action.DOCUMENT_ISSUED, actor=actor, obj=document,
            person=document.student.user if document.student else None,
            new={"kind": document.kind, "code": document.code, "number": document.number, "sha256": document.sha256,
                 "class": str(document.school_class or ""), "year": str(document.year or "")},
        )  # fmt: skip
    return Issued(document, pdf)


def transcript_issue(*, actor: User, student: Student, school: SchoolIdentity, verify_url: str) -> Issued:
    """The foaia matricolă of `student` (the door checked that `actor` may read the student)."""
    years = documents.transcript_years(student)
    return _issue(actor=actor, school=school, verify_url=verify_url, template="reports/transcript.html",
                  context={"student": student, "years": years, "director": documents.director_name()},
                  kind=IssuedDocument.Kind.TRANSCRIPT, student=student)  # fmt: skip


def certificate_issue(
    *, actor: User, student: Student, purpose: str, school: SchoolIdentity, verify_url: str
) -> Issued:
    """An adeverință de elev for the current year, numbered in the year's register."""
    purpose = (purpose or "").strip()
    if not purpose:
        raise ValidationError(PURPOSE_MISSING, code="purpose")
    year = year_current()
    if year is None:
        raise ValidationError(NO_YEAR, code="year")
    school_class = class_of(student, year)
    enrolment = school_class and student.enrolments.filter(school_class=school_class).order_by("-starts").first()
    if enrolment is None or (enrolment.ends is not None and enrolment.ends < timezone.localdate()):
        raise ValidationError(NOT_ENROLLED, code="not_enrolled")
    with transaction.atomic():
        # The year's counter row, made once whatever the concurrency, then locked: certificates
        # of one year are numbered one after another, and a rollback gives the number back.
        CertificateCounter.objects.bulk_create([CertificateCounter(year=year)], ignore_conflicts=True)
        counter = CertificateCounter.objects.select_for_update().get(year=year)
        counter.last += 1
        counter.save(update_fields=["last"])
        if actor.has_role(*SECRETARIAT):  # issued at the school: the family hears it is ready
            families_notify(kind=Kind.DOCUMENT, student=student, source=f"certificate:{year.pk}:{counter.last}",
                            text=document_text(student=student, number=counter.last))  # fmt: skip
        return _issue(
            actor=actor, school=school, verify_url=verify_url, template="reports/certificate.html",
            context={"student": student, "school_class": school_class, "year": year,
                     "director": documents.director_name(), "purpose": purpose},
            kind=IssuedDocument.Kind.CERTIFICATE, student=student, year=year, school_class=school_class,
            number=counter.last, purpose=purpose[:200],
        )  # fmt: skip


def class_catalog_issue(
    *, actor: User, school_class: SchoolClass, school: SchoolIdentity, verify_url: str,
    subjects: set[int] | None = None, progress: Callable[[int], None] | None = None,
) -> Issued:  # fmt: skip
    """The catalogul clasei for its year: per student, every subject's grades with their dates,
    averages, absences, exemptions; conduct; the year's result. `subjects`: only those (a
    teacher's own), else all; `progress(n)` after each student read."""
    records = documents.class_records(school_class, subjects, progress)
    return _issue(actor=actor, school=school, verify_url=verify_url, template="reports/class_catalog.html",
                  context={"school_class": school_class, "records": records, "director": documents.director_name()},
                  kind=IssuedDocument.Kind.CLASS_CATALOG, school_class=school_class,
                  year=school_class.year)  # fmt: skip


def document_revoke(*, actor: User, document: IssuedDocument, reason: str) -> IssuedDocument:
    """A document issued in error says "anulat" on its verification page from now on."""
    if not (actor.is_active and actor.has_role(*SECRETARIAT)):
        raise NotAllowed(NOT_REVOKER)
    with transaction.atomic():
        document.revoked_at = document.revoked_at or timezone.now()
        document.revoked_reason = (reason or "").strip()[:300]
        document.save(update_fields=["revoked_at", "revoked_reason"])
        audit_record(action=Action.DOCUMENT_REVOKED, actor=actor, obj=document, reason=document.revoked_reason)
    return document


def class_situation_issue(
    *, actor: User, school_class: SchoolClass, school: SchoolIdentity, verify_url: str,
    period: LearningPeriod | None = None,
) -> Issued:  # fmt: skip
    """The situația școlară of a class: at the end of the year, every student's averages by
    discipline, conduct, general average and status, provisional (the averages the grades
    give now) until the class's results are closed; at the end of a module (`period`), what
    the module recorded (documents.module_situation)."""
    if period is not None:
        disciplines, rows = documents.module_situation(school_class, period)
        return _issue(
            actor=actor, school=school, verify_url=verify_url, template="reports/module_situation.html",
            context={"school_class": school_class, "period": period, "disciplines": disciplines, "rows": rows,
                     "ends": period_ends(period, school_class), "director": documents.director_name()},
            kind=IssuedDocument.Kind.CLASS_SITUATION, school_class=school_class, year=school_class.year, period=period,
        )  # fmt: skip
    provisional = not school_class.results_closed
    standings = class_standings(school_class=school_class, provisional=provisional)
    disciplines = [discipline.name for discipline in disciplines_of(school_class)]
    rows = [
        {"student": s.student, "averages": [s.subject_averages.get(name) for name in disciplines],
         "conduct": s.conduct, "general_average": s.general_average, "status": STATUS_LABELS.get(s.status.status, ""),
         "failed": s.status.failed, "deferred": s.status.deferred}
        for s in sorted(standings, key=lambda s: (s.student.user.last_name, s.student.user.first_name, s.student.pk))
    ]  # fmt: skip
    return _issue(actor=actor, school=school, verify_url=verify_url, template="reports/class_situation.html",
                  context={"school_class": school_class, "disciplines": disciplines, "rows": rows,
                           "provisional": provisional, "director": documents.director_name()},
                  kind=IssuedDocument.Kind.CLASS_SITUATION, school_class=school_class,
                  year=school_class.year)  # fmt: skip


def statistics_issue(*, actor: User, year: SchoolYear, school: SchoolIdentity, verify_url: str) -> Issued:
    """The school's figures for a year (the statistics page's tables), as PDF."""
    return _issue(actor=actor, school=school, verify_url=verify_url, template="reports/statistics.html",
                  context={"statistics": year_statistics(year)}, kind=IssuedDocument.Kind.STATISTICS,
                  year=year)  # fmt: skip
