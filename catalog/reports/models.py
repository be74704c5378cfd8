"""Documents the school issued, for verification, and the register of student certificates."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from catalog.structure.models import LearningPeriod, SchoolClass, SchoolYear, Student


class IssuedDocument(models.Model):
    """A generated document: what, for whom, by whom, when, its file's SHA-256, and the code
    printed on it (with a QR code) that anyone can check on the school's verification page."""

    class Kind(models.TextChoices):
        TRANSCRIPT = "transcript", _("Foaia matricolă")
        CERTIFICATE = "certificate", _("Adeverință de elev")
        CLASS_CATALOG = "class_catalog", _("Catalogul clasei")
        CLASS_SITUATION = "class_situation", _("Situația școlară a clasei")
        STATISTICS = "statistics", _("Situația statistică a școlii")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    code = models.CharField(max_length=20, unique=True)
    student = models.ForeignKey(Student, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    school_class = models.ForeignKey(SchoolClass, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    year = models.ForeignKey(SchoolYear, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    period = models.ForeignKey(LearningPeriod, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Certificates: the register number of the year, and what it is for.
    number = models.PositiveIntegerField(null=True, blank=True)
    purpose = models.CharField(_("se eliberează pentru"), max_length=200, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(auto_now_add=True)
    sha256 = models.CharField(max_length=64, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(fields=["year", "number"], name="one_certificate_number_per_year"),
            models.CheckConstraint(
                condition=~models.Q(kind="certificate") | models.Q(number__isnull=False, year__isnull=False),
                name="certificate_numbered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.code}"


class CertificateCounter(models.Model):
    """The last certificate number given in a school year (numbers run without gaps: the
    number is taken in the transaction that records the certificate)."""

    year = models.OneToOneField(SchoolYear, on_delete=models.PROTECT, primary_key=True, related_name="+")
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class YearArchive(models.Model):
    """The sealed archive of a closed school year (Order art. 11(2)): every class's catalog and
    the school's statistics as PDF, in the object store, with a manifest of their SHA-256;
    the manifest's own hash is in the audit chain with the director's sign-off (a 2FA code
    given at the close). Each close of the year makes a new version; none is ever replaced."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("în așteptare")
        RUNNING = "running", _("în lucru")
        SEALED = "sealed", _("sigilată")
        FAILED = "failed", _("eșuată")

    year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_off_at = models.DateTimeField()
    signed_off_with = models.CharField(max_length=60)
    prefix = models.CharField(max_length=300, blank=True)
    files = models.JSONField(default=list, blank=True)  # [{"name", "sha256", "size"}]
    manifest_sha256 = models.CharField(max_length=64, blank=True)
    done = models.PositiveIntegerField(default=0)  # classes rendered so far (the page's progress)
    total = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    sealed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["year", "version"], name="one_archive_version_per_year")]

    def __str__(self) -> str:
        return f"{self.year} v{self.version}"


class DocumentJob(models.Model):
    """A large document (a class's catalog or situation, the school's statistics) made by a
    background job for the person who asked: its progress, then the file in the object store
    for CATEDRA_DOCUMENT_HOURS hours, after which the file is deleted and the job expires."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("în așteptare")
        RUNNING = "running", _("în lucru")
        READY = "ready", _("gata")
        FAILED = "failed", _("eșuat")
        EXPIRED = "expired", _("expirat")

    kind = models.CharField(max_length=16, choices=IssuedDocument.Kind.choices)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    school_class = models.ForeignKey(SchoolClass, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    year = models.ForeignKey(SchoolYear, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    period = models.ForeignKey(LearningPeriod, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    subjects = models.JSONField(null=True, blank=True)  # a teacher's own subjects' ids; null: all
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveIntegerField(default=0)  # steps made (students read, then the rendering)
    total = models.PositiveIntegerField(default=1)
    document = models.ForeignKey(IssuedDocument, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=300, blank=True)
    size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["requested_by", "-created_at"], name="document_job_mine")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        return min(100, 100 * self.done // max(self.total, 1))
