"""Rights that only the school's management gives (Order 3896/2023 art. 15, 20(2)): the
requests to change who writes or reads what, their decisions, the director's delegation to
a deputy, and the consent behind a statistics viewer's account. Every write goes through
`catalog.rights.services` (audited)."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from audit.history import tracked
from catalog.structure.models import SchoolClass, Subject


@tracked()
class Delegation(models.Model):
    """The director lets a deputy approve rights requests, until the director ends it."""

    deputy = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(auto_now_add=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["deputy"], condition=Q(ended_at__isnull=True), name="one_open_delegation")
        ]

    def __str__(self) -> str:
        return f"{self.deputy} ({self.granted_at:%d.%m.%Y})"


@tracked()
class RightsRequest(models.Model):
    """One or more changes of rights asked for together (a page's change, a year copy's
    assignments, ...): nothing in it takes effect until it is approved, all of it at once."""

    class Status(models.TextChoices):
        PENDING = "pending", _("în așteptare")
        APPROVED = "approved", _("aprobată")
        REJECTED = "rejected", _("respinsă")

    class Origin(models.TextChoices):
        PAGE = "page", _("configurare")
        ACCOUNTS = "accounts", _("conturi")
        YEAR_COPY = "year_copy", _("copierea anului școlar")
        IMPORT = "import", _("import CSV")

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    why = models.CharField(_("motivul"), max_length=500, blank=True)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.PAGE)
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=500, blank=True)
    # Asked by someone who approves rights (the director): it took effect at once.
    self_approved = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="rights_request_queue")]

    def __str__(self) -> str:
        return f"#{self.pk} ({self.get_status_display()})"


@tracked()
class RightsChange(models.Model):
    """One change in a request: an assignment, a temporary grant, a homeroom, or roles."""

    class Kind(models.TextChoices):
        ASSIGNMENT = "assignment", _("încadrare")
        GRANT = "grant", _("drept temporar")
        HOMEROOM = "homeroom", _("dirigenție")
        ROLE = "role", _("rol")

    request = models.ForeignKey(RightsRequest, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    school_class = models.ForeignKey(SchoolClass, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    subject = models.ForeignKey(Subject, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    starts = models.DateField(null=True, blank=True)
    ends = models.DateField(null=True, blank=True)
    roles = ArrayField(models.CharField(max_length=20, choices=Role.choices), default=list, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.summary

    @property
    def summary(self) -> str:
        """The change in words, as the director reads it in the queue."""
        who = self.person.get_full_name()
        if self.kind == self.Kind.ROLE:
            names = ", ".join(str(Role(role).label) for role in self.roles)
            return str(_("{who}: rolul {roles}")).format(who=who, roles=names)
        if self.kind == self.Kind.HOMEROOM:
            return str(_("{who}: diriginte la {cls}")).format(who=who, cls=self.school_class.short)
        where = str(_("{subject} la {cls}")).format(subject=self.subject.name, cls=self.school_class.short)
        if self.kind == self.Kind.GRANT:
            return str(_("{who}: {where}, temporar {starts}–{ends}")).format(
                who=who, where=where, starts=f"{self.starts:%d.%m.%Y}", ends=f"{self.ends:%d.%m.%Y}"
            )
        return f"{who}: {where}"


@tracked()
class StatsConsent(models.Model):
    """The management's consent behind a statistics viewer's account (art. 20(2)): given by
    approving the role, withdrawn by the director, which shuts the account out at once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    request = models.ForeignKey(RightsRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(auto_now_add=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-granted_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.user} ({self.granted_at:%d.%m.%Y})"
