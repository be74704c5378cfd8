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
    # Incremental: per table, rows and digest of the school's live data as of the run; a
    # restore to this run must equal them (a full backup keeps its own in `tables`).
    digests = models.JSONField(default=dict, blank=True)
    # Incremental: the school's structure changed since the previous run (a migration); the
    # copy was rebuilt, and a full backup follows at once: the base of the runs after it (a
    # full backup from before the migration cannot carry them).
    structure_changed = models.BooleanField(default=False)
    # The last successful trial restore (a verification or a drill); emptied when one fails.
    restore_verified_at = models.DateTimeField(null=True, blank=True)
    verification = models.TextField(blank=True)
    error = models.TextField(blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["school", "kind", "-started_at"], name="ops_backup_school_kind")]

    def __str__(self) -> str:
        return f"{self.school_id} {self.kind} #{self.pk} ({self.status})"

    @property
    def expected_tables(self) -> dict:
        """What a restore of this backup must equal, per table: {"rows": n, "digest": "..."}."""
        return self.tables if self.kind == self.Kind.FULL else self.digests


class RestoreDrill(models.Model):
    """One restore drill (public schema): a random recent backup restored into a scratch
    schema and compared, table by table, with what the source held at backup time."""

    class Result(models.TextChoices):
        RUNNING = "running", _("În curs")
        PASSED = "passed", _("Reușită")
        MISMATCH = "mismatch", _("Diferențe față de sursă")
        FAILED = "failed", _("Eșuată")

    backup = models.ForeignKey(Backup, on_delete=models.PROTECT, related_name="drills")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(max_length=10, choices=Result.choices, default=Result.RUNNING)
    tables = models.PositiveIntegerField(null=True, blank=True)
    rows = models.BigIntegerField(null=True, blank=True)
    # The tables that differ, or why the restore failed (names and counts, never row values).
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"drill #{self.pk} of backup #{self.backup_id} ({self.result})"


class IncrementalOptOut(models.Model):
    """A period in which an ended school's daily incremental backup is switched off (an
    ended school is read-only; its final full backup holds everything). It is open while
    `ended_at` is empty, and honoured only while the school stays ended."""

    school = models.ForeignKey("tenants.School", on_delete=models.PROTECT, related_name="incremental_opt_outs")
    started_at = models.DateTimeField()
    started_by = models.CharField(max_length=200)
    reason = models.TextField()
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["school"], condition=models.Q(ended_at__isnull=True), name="ops_one_open_opt_out_per_school"
            )
        ]

    def __str__(self) -> str:
        return f"school {self.school_id}: no daily incremental since {self.started_at:%Y-%m-%d}"


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


class AuditAnchor(models.Model):
    """The newest anchor of one schema's audit chain (public schema), as written to the
    backup storage (ops.anchors): lets the hourly job skip a head that has not moved and
    the console show when each chain was last anchored. The stored objects are the
    evidence; this row is trusted only as far as its signed document verifies."""

    schema = models.CharField(max_length=63, unique=True)
    seq = models.BigIntegerField()
    hash = models.CharField(max_length=64)
    anchored_at = models.DateTimeField()
    # The last time a job found the chain's head still where this anchor holds it.
    confirmed_at = models.DateTimeField()
    key = models.CharField(max_length=500)
    location = models.CharField(max_length=600)  # the storage and key, as storage.location() says
    document = models.TextField()  # the stored object's text, with its HMAC

    def __str__(self) -> str:
        return f"{self.schema} @ {self.seq} ({self.anchored_at:%Y-%m-%d %H:%M})"
