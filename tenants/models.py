from django.conf import settings
from django.db import connection, models
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin
from django_tenants.utils import get_public_schema_name

from tenants.counties import County


class SchoolQuerySet(models.QuerySet):
    def with_schema(self) -> "SchoolQuerySet":
        """Schools that have a schema to work in (active, suspended or ended, and made),
        in schema order: what `catedra migrate` migrates and commands may name."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT nspname FROM pg_namespace")
            existing = [name for (name,) in cursor.fetchall()]
        return (
            self.filter(status__in=SCHEMA_STATUSES, schema_name__in=existing)
            .exclude(schema_name=get_public_schema_name())
            .order_by("schema_name")
        )


class School(TenantMixin):
    """A school: one PostgreSQL schema, one host name. The row with schema `public`
    stands for the provider's control plane."""

    class Status(models.TextChoices):
        PROVISIONING = "provisioning", _("În curs de creare")
        ACTIVE = "active", _("Activă")
        SUSPENDED = "suspended", _("Suspendată")
        ENDED = "ended", _("Contract încheiat")
        ARCHIVED = "archived", _("Arhivată")
        PURGED = "purged", _("Ștearsă")
        FAILED = "failed", _("Creare eșuată")

    name = models.CharField(_("denumire"), max_length=200)
    slug = models.SlugField(_("identificator"), max_length=40, unique=True)
    siiir_code = models.CharField(_("cod SIIIR"), max_length=10, unique=True, null=True, blank=True)
    county = models.CharField(_("județ"), max_length=2, choices=County.choices, blank=True)
    locality = models.CharField(_("localitate"), max_length=120, blank=True)
    cui = models.CharField(_("cod fiscal (CUI)"), max_length=10, blank=True)
    contract_start = models.DateField(_("început contract"), null=True, blank=True)
    contract_end = models.DateField(_("sfârșit contract"), null=True, blank=True)
    status = models.CharField(_("stare"), max_length=20, choices=Status.choices, default=Status.PROVISIONING)
    status_changed_at = models.DateTimeField(_("stare schimbată la"), null=True, blank=True)
    # The day the school really left the platform (its move to `ended`), cleared by a renewal:
    # backups are kept 24 months from this day, whatever `contract_end` was typed at onboarding.
    ended_on = models.DateField(_("încheiată la"), null=True, blank=True)
    created_at = models.DateTimeField(_("creată la"), auto_now_add=True)

    objects = SchoolQuerySet.as_manager()

    # Schemas are made and dropped by the provisioning services, never as a side effect of save().
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        verbose_name = _("școală")
        verbose_name_plural = _("școli")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def public_url(self) -> str:
        """The address people use to reach the school."""
        port = f":{settings.CATEDRA_PUBLIC_PORT}" if settings.CATEDRA_PUBLIC_PORT else ""
        return f"{settings.CATEDRA_PUBLIC_SCHEME}://{self.slug}.{settings.CATEDRA_BASE_DOMAIN}{port}/"


# Lifecycle states in which a school has a schema that must follow the migrations.
SCHEMA_STATUSES = (School.Status.ACTIVE, School.Status.SUSPENDED, School.Status.ENDED)


class Domain(DomainMixin):
    """A host name that routes to a school (`<slug>.<base domain>`)."""

    class Meta:
        verbose_name = _("domeniu")
        verbose_name_plural = _("domenii")
