import json
import re

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

# C0 controls, DEL and C1 controls. Multi-line text (form fields, JSON) may hold tab, CR, LF;
# a URL's path and query never do. PostgreSQL cannot even store NUL.
_CONTROL_IN_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
CONTROL_CHARACTERS_REFUSED = _(
    "Textul trimis conține caractere de control nepermise (de exemplu NUL). Ștergeți-le și reîncercați."
)
BODY_TOO_DEEP = _("Corpul cererii are prea multe niveluri de imbricare.")
HTTPS_REQUIRED = _("API-ul se folosește doar prin HTTPS.")
# Where programs call: the provider API (control plane), the school API and OneRoster (school
# hosts). Their refusals are JSON, never a page.
API_PATHS = ("/api/", "/ims/")


def is_api(request) -> bool:
    return request.path.startswith(API_PATHS)


class ApiHttpsOnlyMiddleware:
    """The APIs refuse plain http with a 403 rather than redirect it (before SecurityMiddleware
    would): a client that sent its key in clear must learn so, not be quietly moved to https
    with the key already spent. On where `CATEDRA_API_HTTPS_ONLY` says (production)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.CATEDRA_API_HTTPS_ONLY and is_api(request) and not request.is_secure():
            return JsonResponse({"code": "https_required", "detail": str(HTTPS_REQUIRED)}, status=403)
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """Sends the project's Content-Security-Policy on every response that has none."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CATEDRA_CONTENT_SECURITY_POLICY)
        return response


class ControlCharacterMiddleware:
    """Refuses, before any view reads it, a request whose text holds control characters: the
    path, query parameters, form fields and JSON bodies (a 400 page, or the provider API's JSON
    error under /api/). Cookies holding them are dropped, as if absent."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.COOKIES = {name: value for name, value in request.COOKIES.items() if not _CONTROL_IN_LINE.search(value)}
        refusal = _refusal(request)
        if refusal is None:
            return self.get_response(request)
        field, message = refusal[0], str(refusal[1])
        if is_api(request):
            return JsonResponse(
                {"code": "invalid_parameter", "detail": message, "errors": {field: [message]}}, status=400
            )
        return render(request, "400.html", {"message": message}, status=400)


def _refusal(request) -> tuple[str, str] | None:
    """The part of the request refused (its field's name, or "path", "body") and why, or None."""
    if _CONTROL_IN_LINE.search(request.path_info):
        return "path", CONTROL_CHARACTERS_REFUSED
    for name, values in request.GET.lists():
        if any(_CONTROL_IN_LINE.search(text) for text in (name, *values)):
            return name, CONTROL_CHARACTERS_REFUSED
    if request.method == "POST" and request.content_type in _FORM_TYPES:
        for name, values in request.POST.lists():  # (Django drops them from uploads' file names)
            if any(_CONTROL_IN_TEXT.search(text) for text in (name, *values)):
                return name, CONTROL_CHARACTERS_REFUSED
    if request.content_type == "application/json" or request.content_type.endswith("+json"):
        return _json_refusal(request.body)
    return None


def _json_refusal(body: bytes) -> tuple[str, str] | None:
    """The top-level field of a JSON body with a control character in a string (a key or a
    value) at any depth; a body that is not JSON is left to the view, one too deep is refused."""
    try:
        document = json.loads(body)
    except ValueError:
        return None
    except RecursionError:  # the view's own parser would fail the same way, as a 500
        return "body", BODY_TOO_DEEP
    stack = list(document.items()) if isinstance(document, dict) else [("body", document)]
    while stack:
        field, value = stack.pop()
        texts = [value] if isinstance(value, str) else list(value) if isinstance(value, dict) else []
        if any(_CONTROL_IN_TEXT.search(text) for text in [field, *texts]):
            return field, CONTROL_CHARACTERS_REFUSED
        if isinstance(value, dict | list):
            stack.extend((field, item) for item in (value.values() if isinstance(value, dict) else value))
    return None
