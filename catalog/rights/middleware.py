"""A statistics viewer whose consent the school's management withdrew gets 403 on every page
of the school (Order 3896/2023 art. 20(2)), at once, even in a session opened before: only
signing out stays open. One query per request, for statistics viewers only."""

from django.shortcuts import render
from django.urls import reverse

from accounts.roles import Role


class ConsentWithdrawnMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.has_role(Role.STATS_VIEWER):
            from catalog.rights.services import consent_withdrawn  # the catalog's tables: school hosts only

            if request.path not in _open_paths() and consent_withdrawn(user):
                return render(request, "rights/consent_withdrawn.html", status=403)
        return self.get_response(request)


def _open_paths() -> set[str]:
    return {reverse("account_logout"), reverse("sign-out-everywhere")}
