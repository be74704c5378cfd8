from django.db import models
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    """The last time a periodic job ran (public schema). /readyz reads it."""

    name = models.CharField(max_length=60, unique=True)
    last_seen = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"


class Backup(models.Model):
    """One backup of one school (public schema): a full dump off-site, or an incremental
    run into the backup database. It counts as a backup only when `done`."""

    class Kind(models.TextChoices):
        FULL = "full", _("Completă")
        INCREMENTAL = "incremental", _("Incrementală")

    class Status(models.TextChoices):
        RUNNING = "running", _("În curs")
        DONE = "done", _("Reușită")
        FAILED = "failed", _("Eșuată")
        DELETED = "deleted", _("Ștearsă (după perioada de păstrare)")

    school = models.ForeignKey("tenants.School", on_delete=models.PROTECT, related_name="backups")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    # The schema the data came from (a restore into another school needs the original name).
    source_schema = models.CharField(max_length=63)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    # Full: the encrypted object as stored (bytes, SHA-256 of those bytes, where it is).
    size = models.BigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    location = models.CharField(max_length=500, blank=True)
    key_fingerprint = models.CharField(max_length=16, blank=True)
    # Per table at backup time: {"table": {"rows": n, "digest": "..."}}; compared after a restore.
    tables = models.JSONField(default=dict, blank=True)
    # Incremental: rows inserted, updated and deleted in the backup database by this run.
    rows_copied = models.BigIntegerField(null=True, blank=True)
    restore_verified_at = models.DateTimeField(null=True, blank=True)
    verification = models.TextField(blank=True)
    error = models.TextField(blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["school", "kind", "-started_at"], name="ops_backup_school_kind")]

    def __str__(self) -> str:
        return f"{self.school_id} {self.kind} #{self.pk} ({self.status})"


class DeletionCertificate(models.Model):
    """What was deleted after a school's retention period, when, by whom, with the
    checksums of every object; `seal` is the SHA-256 of `content` (canonical JSON)."""

    school = models.ForeignKey("tenants.School", on_delete=models.PROTECT, related_name="deletion_certificates")
    deleted_at = models.DateTimeField()
    actor = models.CharField(max_length=200)
    retention_ended_on = models.DateField()
    content = models.JSONField()
    seal = models.CharField(max_length=64)

    class Meta:
        ordering = ["-deleted_at", "-id"]

    def __str__(self) -> str:
        return f"certificate {self.pk}: school {self.school_id} @ {self.deleted_at:%Y-%m-%d}"
