"""Audit events: append-only and hash-chained, one table per schema (public, the
template and every school).

The database, not the application, keeps the chain and the promise: a BEFORE INSERT
trigger (migration 0002) serialises inserts per schema, numbers each event (`seq`, from 1
with no gaps) and chains it (`hash` = SHA-256 of the previous event's hash and this
event's `content_hash`); other triggers refuse UPDATE, DELETE and TRUNCATE.
`content_hash` is computed by the application over the event's canonical content
(audit.chain), so `catedra audit verify` can tell an altered event from an intact one;
the application hands that very canonical JSON to `audit_append()` (migration 0003).
"""

from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.utils.translation import gettext_lazy as _


class ActorKind(models.TextChoices):
    USER = "user", _("utilizator")
    API = "api", _("client API")
    JOB = "job", _("proces automat")
    ANONYMOUS = "anonymous", _("anonim")
    SYSTEM = "system", _("sistem")


class Source(models.TextChoices):
    PAGE = "page", _("pagină")
    API = "api", _("API")
    IMPORT = "import", _("import")
    JOB = "job", _("proces automat")
    CLI = "cli", _("linie de comandă")


class AuditEvent(models.Model):
    # Set by the database (trigger audit_event_chain); the values given on insert are ignored.
    # The key, given by the database: two events chained to the same predecessor would
    # share it, so the chain cannot fork even if the insert lock were bypassed.
    seq = models.BigIntegerField(primary_key=True, default=0, editable=False)
    prev_hash = models.CharField(max_length=64, default="", editable=False)
    hash = models.CharField(max_length=64, default="", editable=False)
    # Set by the application; content_hash covers every field below it.
    content_hash = models.CharField(max_length=64)
    occurred_at = models.DateTimeField(_("momentul"))
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    actor_id = models.BigIntegerField(null=True)
    actor_name = models.CharField(_("autor"), max_length=200, blank=True)
    actor_roles = models.CharField(max_length=200, blank=True)
    action = models.CharField(_("acțiune"), max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    # The person the event concerns: the student for catalog records, the account for
    # identity events.
    person_id = models.BigIntegerField(null=True)
    person_name = models.CharField(_("persoana"), max_length=200, blank=True)
    old_values = models.JSONField(default=dict)
    new_values = models.JSONField(default=dict)
    reason = models.TextField(_("motiv"), blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    ip = models.CharField(max_length=45, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices)

    class Meta:
        verbose_name = _("eveniment de audit")
        verbose_name_plural = _("evenimente de audit")
        # Few indexes: every write of the school pays for them. Time follows seq, so a
        # BRIN index (nearly free to keep) finds date ranges; people are looked up often.
        indexes = [
            BrinIndex(fields=["occurred_at"], name="audit_event_when"),
            models.Index(fields=["person_id", "seq"], name="audit_event_person"),
            models.Index(fields=["actor_id", "seq"], name="audit_event_actor"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"
