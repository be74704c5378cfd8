from django_tenants.utils import get_public_schema_name

from tenants.models import Domain, School

# Schools whose host answers. Later lifecycle states get their own explanation pages.
ROUTABLE_STATUSES = (School.Status.ACTIVE,)


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
