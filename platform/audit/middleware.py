import re
import uuid

from django.conf import settings

from audit.models import ActorKind, Source
from audit.services import audit_context, client_ip

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class AuditContextMiddleware:
    """Opens the audit context of a request: its id (the caller's X-Request-ID if well
    formed, else a new one, echoed in the response), the client's IP, the door (page or
    API) and the request, whose user is read when an event is recorded. Writing
    requests also attach that context to the row-history triggers."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.behind_proxy = bool(getattr(settings, "SECURE_PROXY_SSL_HEADER", None))

    def __call__(self, request):
        offered = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = offered if _REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex
        with audit_context(
            history=request.method not in _SAFE_METHODS,
            source=Source.API if request.path.startswith("/api/") else Source.PAGE,
            request=request,
            actor_kind=ActorKind.ANONYMOUS,
            actor_label="",
            request_id=request_id,
            ip=client_ip(request, behind_proxy=self.behind_proxy),
            reason="",
        ):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response
