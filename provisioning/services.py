"""Creating schools. The provisioning issue turns this into a recorded, retryable job
that clones a template schema; the rules for slugs already hold here."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from provisioning.schemas import schema_create_from_template
from tenants.models import Domain, School

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])$")
RESERVED_SLUGS = frozenset(
    {
        "www",
        "api",
        "admin",
        "static",
        "media",
        "public",
        "template",
        "mail",
        "smtp",
        "app",
        "status",
        "help",
        "docs",
        "catedra",
        "consola",
        "console",
        "backup",
        "ops",
        "test",
        "demo-template",
    }
)


def slug_validate(slug: str) -> None:
    """Raise ValidationError unless `slug` can name a host and a schema."""
    if not SLUG_RE.fullmatch(slug or "") or "--" in slug:
        raise ValidationError(
            _("Identificatorul are 3–40 de caractere: litere mici, cifre și cratime (nu la început sau la sfârșit)."),
            code="slug_format",
        )
    if slug in RESERVED_SLUGS:
        raise ValidationError(_("Identificatorul „%(slug)s” este rezervat.") % {"slug": slug}, code="slug_reserved")


def schema_name_for(slug: str) -> str:
    """A validated slug as a PostgreSQL schema name (hyphens are not allowed there)."""
    return slug.replace("-", "_")


def school_create(*, name: str, slug: str, siiir_code: str, county: str, locality: str) -> School:
    """Create a school with its schema (migrated) and its host; return it active."""
    slug_validate(slug)
    with transaction.atomic():
        school = School(
            name=name,
            slug=slug,
            schema_name=schema_name_for(slug),
            siiir_code=siiir_code,
            county=county,
            locality=locality,
            status=School.Status.PROVISIONING,
        )
        school.full_clean()
        school.save()
        Domain.objects.create(domain=f"{slug}.{settings.CATEDRA_BASE_DOMAIN}", tenant=school, is_primary=True)
    schema_create_from_template(school.schema_name)
    school.status = School.Status.ACTIVE
    school.save(update_fields=["status"])
    return school
