from django_tenants.utils import get_public_schema_name

from tenants.models import Domain, School

# Schools whose host answers: suspended ones with an explanation, ended ones read-only.
ROUTABLE_STATUSES = (School.Status.ACTIVE, School.Status.SUSPENDED, School.Status.ENDED)


def school_for_hostname(hostname: str) -> School | None:
    """The routable school at this exact host name, or None."""
    domain = (
        Domain.objects.select_related("tenant")
        .filter(domain=hostname, tenant__status__in=ROUTABLE_STATUSES)
        .exclude(tenant__schema_name=get_public_schema_name())
        .first()
    )
    return domain.tenant if domain else None


def public_tenant() -> School:
    return School.objects.get(schema_name=get_public_schema_name())


def schemas_to_migrate() -> list[str]:
    """Schemas of schools that have one, in name order."""
    return list(School.objects.with_schema().values_list("schema_name", flat=True))


def school_with_schema(slug: str) -> School | None:
    """The school with this slug, if it has a schema to work in (commands take schools by slug)."""
    return School.objects.with_schema().filter(slug=slug).first()
