from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import connection
from django.http import Http404
from django.http.request import split_domain_port
from django_tenants.middleware.main import TenantMainMiddleware

from ops.sentry import tag_school
from tenants import selectors


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

    def process_response(self, request, response):
        connection.set_schema_to_public()
        return response
