"""The school's API clients (a ministry or county system, an LMS) and their keys.

A client is what the school authorises: a name, the scopes it may read, the networks it
may call from and until when. A key is how it proves who it is: only the key's SHA-256 is
kept, the key itself is shown once, when it is made. Rotating makes a new key and lets the
old one live for a grace period; revoking ends the client's every key at once."""

import ipaddress

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    STRUCTURE = "read:structure", _("structura școlii: ani, perioade, clase, discipline, profesori")
    STUDENTS = "read:students", _("elevii și înscrierile lor în clase")
    GRADES = "read:grades", _("note, calificative, medii, purtare, situația de la sfârșitul anului")
    ABSENCES = "read:absences", _("absențe (motivate și nemotivate)")
    PERSONAL = "read:personal", _("date personale: CNP și data nașterii")


class ApiClient(models.Model):
    name = models.CharField(_("nume"), max_length=80, unique=True)
    scopes = ArrayField(models.CharField(max_length=20, choices=Scope.choices), verbose_name=_("drepturi"))
    # Networks (CIDR) the client may call from; empty: any.
    networks = ArrayField(models.CharField(max_length=43), default=list, blank=True, verbose_name=_("rețele"))
    expires_on = models.DateField(_("valabil până la"), null=True, blank=True)
    rate_per_minute = models.PositiveIntegerField(_("cereri pe minut"), default=600)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("client API")
        verbose_name_plural = _("clienți API")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rate_per_minute__gte=1, rate_per_minute__lte=100000), name="api_client_rate_range"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def expired(self) -> bool:
        return self.expires_on is not None and self.expires_on < timezone.localdate()

    @property
    def live(self) -> bool:
        return self.revoked_at is None and not self.expired

    def allows(self, address: str) -> bool:
        """Whether a call from `address` (an IP, or "" when unknown) is within the client's networks."""
        if not self.networks:
            return True
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in ipaddress.ip_network(network) for network in self.networks)


class ApiKey(models.Model):
    PREFIX = "cat"

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="keys")
    key_id = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when the key was replaced (the end of its grace period) or revoked.
    valid_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.PREFIX}_{self.key_id}_…"

    @property
    def live(self) -> bool:
        return self.valid_until is None or self.valid_until > timezone.now()
