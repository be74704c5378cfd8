from django.conf import settings


class ContentSecurityPolicyMiddleware:
    """Sends the project's Content-Security-Policy on every response that has none."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CATEDRA_CONTENT_SECURITY_POLICY)
        return response
