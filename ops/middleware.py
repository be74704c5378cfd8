from django.http import JsonResponse

from ops import health


class HealthCheckMiddleware:
    """Answers /healthz and /readyz on every host, before host validation and routing:
    orchestrators probe by pod address, which is no school's host."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            return _no_store(JsonResponse({"status": "ok"}))
        if request.path == "/readyz":
            ready, checks = health.readiness()
            status = 200 if ready else 503
            body = {"status": "ok" if ready else "unavailable", "checks": checks}
            return _no_store(JsonResponse(body, status=status))
        return self.get_response(request)


def _no_store(response):
    response["Cache-Control"] = "no-store"
    return response
