from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import connection
from django.http import Http404, JsonResponse
from django.http.request import split_domain_port
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_tenants.middleware.main import TenantMainMiddleware

from catedra.middleware import is_api
from catedra.sentry import tag_school
from tenants import selectors
from tenants.models import School

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SchoolRoutingMiddleware(TenantMainMiddleware):
    """Routes a request to the control plane or to one school's schema by host name.

    The connection is put back on `public` before every request, so nothing from the
    previous request's school can leak. An unknown host is a 404 and a host that fails
    validation a 400, both rendered by plain templates that read no school data.
    """

    def process_request(self, request):
        connection.set_schema_to_public()
        # get_host() validates against ALLOWED_HOSTS: DisallowedHost becomes a 400.
        hostname, _port = split_domain_port(request.get_host())
        if not hostname:
            raise DisallowedHost("Invalid host")
        if hostname == settings.CATEDRA_CONTROL_PLANE_HOST:
            tenant = selectors.public_tenant()
        else:
            tenant = selectors.school_for_hostname(hostname)
            if tenant is None:
                raise Http404("No school at this host")
        tenant.domain_url = hostname
        request.tenant = tenant
        connection.set_tenant(tenant)
        tag_school(tenant.schema_name)
        self.setup_url_routing(request)
        return _lifecycle_response(request, tenant)

    def process_response(self, request, response):
        connection.set_schema_to_public()
        return response


def _lifecycle_response(request, school: School):
    """A suspended school answers nothing but an explanation; an ended one only reads."""
    if school.status == School.Status.SUSPENDED:
        message = _(
            "Accesul la catalogul acestei școli este suspendat temporar. Pentru detalii, contactați conducerea școlii."
        )
    elif school.status == School.Status.ENDED and request.method not in SAFE_METHODS:
        message = _("Contractul școlii s-a încheiat: catalogul poate fi doar consultat și exportat, nu modificat.")
    else:
        return None
    if is_api(request):
        return JsonResponse(
            {"code": "school_unavailable", "detail": message, "school_status": school.status}, status=403
        )
    return render(request, "tenants/school_unavailable.html", {"school": school, "message": message}, status=403)
