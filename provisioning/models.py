import hashlib
import hmac
import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.models import School


class ProvisioningJob(models.Model):
    """One attempt at making a school: its steps are recorded as they run."""

    ACTOR = "job"  # how the job signs the transitions and audit events it makes

    class State(models.TextChoices):
        PENDING = "pending", _("În așteptare")
        RUNNING = "running", _("În curs")
        SUCCEEDED = "succeeded", _("Reușit")
        FAILED = "failed", _("Eșuat")

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="provisioning_jobs")
    attempt = models.PositiveSmallIntegerField(default=1)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    requested_by = models.CharField(max_length=200)
    admin_name = models.CharField(max_length=150)
    admin_email = models.EmailField()
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["school", "attempt"], name="one_job_per_school_attempt")]

    def __str__(self) -> str:
        return f"{self.school.slug} #{self.attempt} ({self.state})"


class ProvisioningStep(models.Model):
    class Name(models.TextChoices):
        """The steps in order (their codes are what the provider API gives)."""

        SCHEMA = "schema", _("Schema școlii, copiată din șablon")
        DOMAIN = "domain", _("Adresa școlii")
        ADMIN = "admin", _("Contul administratorului școlii")
        INVITATION = "invitation", _("Invitația trimisă administratorului")
        ACTIVATE = "activate", _("Activarea școlii")

    class State(models.TextChoices):
        SUCCEEDED = "succeeded", _("Reușit")
        FAILED = "failed", _("Eșuat")

    job = models.ForeignKey(ProvisioningJob, on_delete=models.CASCADE, related_name="steps")
    name = models.CharField(max_length=40, choices=Name.choices)
    state = models.CharField(max_length=10, choices=State.choices)
    detail = models.TextField(blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()

    class Meta:
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"{self.name}: {self.state}"


class SchoolTransition(models.Model):
    """A change of a school's lifecycle state: who, when, why. Rows are only ever added."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="transitions")
    from_status = models.CharField(max_length=20, choices=School.Status.choices)
    to_status = models.CharField(max_length=20, choices=School.Status.choices)
    actor = models.CharField(max_length=200)
    reason = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.school.slug}: {self.from_status} → {self.to_status}"

    @property
    def actor_shown(self) -> str:
        """Who made the change, in words (the provisioning job signs with a code)."""
        return str(_("crearea automată a școlii")) if self.actor == ProvisioningJob.ACTOR else self.actor


class ApiToken(models.Model):
    """A provider API token. Only its SHA-256 is kept; the token is shown once, at creation."""

    PREFIX = "ctk"

    name = models.CharField(max_length=80, unique=True)
    key_id = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name

    @classmethod
    def issue(cls, *, name: str) -> tuple["ApiToken", str]:
        """A new token named `name`; (the record, the token to hand over once)."""
        key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
        token = f"{cls.PREFIX}_{key_id}_{secret}"
        return cls.objects.create(name=name, key_id=key_id, digest=_digest(token)), token

    @classmethod
    def authenticate(cls, token: str) -> "ApiToken | None":
        """The live token matching `token`, or None (constant-time comparison)."""
        prefix, _sep, rest = (token or "").partition("_")
        key_id, _sep, _secret = rest.partition("_")
        if prefix != cls.PREFIX or not key_id:
            return None
        record = cls.objects.filter(key_id=key_id, revoked_at__isnull=True).first()
        if record is None or not hmac.compare_digest(record.digest, _digest(token)):
            return None
        cls.objects.filter(pk=record.pk).update(last_used_at=timezone.now())
        return record


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
