"""Whoever signed in while a privacy notice version waits for them is shown it first: every
other page of the school redirects to it until it is accepted (the session says so: set at
sign-in, cleared on acceptance; no query on any page)."""

from urllib.parse import urlencode

from django.shortcuts import redirect

from catalog.privacy.notices import SESSION_KEY

OPEN_PREFIXES = ("/confidentialitate/", "/cont/", "/static/", "/api/", "/ims/", "/manifest.webmanifest", "/sw.js")


class NoticeFirstMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.get(SESSION_KEY) and not request.path.startswith(OPEN_PREFIXES):
            return redirect(f"/confidentialitate/?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
