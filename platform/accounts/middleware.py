from urllib.parse import urlencode

from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_otp import user_has_device

# Paths a signed-in but unverified user may still reach: verification (or, before any
# factor exists, enrolment), signing out, and the assets those pages need. The doors that
# change factors check again themselves (views.verified_if_enrolled).
_OPEN_TO_ENROLLED = ("/cont/2fa/verificare/", "/cont/2fa/cod/", "/cont/logout/", "/static/")
_OPEN_TO_UNENROLLED = ("/cont/2fa/", "/cont/logout/", "/static/")


class TwoFactorEnforcementMiddleware:
    """Until a user who must (or chose to) use 2FA has verified a second factor in this
    session, every page sends them to enrolment or verification and the API answers 401."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_verified():
            return self.get_response(request)
        has_device = user_has_device(user, confirmed=True)
        if not (has_device or user.must_use_two_factor):
            return self.get_response(request)
        if request.path.startswith(_OPEN_TO_ENROLLED if has_device else _OPEN_TO_UNENROLLED):
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": "Autentificarea în doi pași este obligatorie."}, status=401)
        target = reverse("two-factor-verify" if has_device else "two-factor-enrol")
        return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
