"""The operations pages of the provider console (control-plane host, provider staff who
passed 2FA; the console's own door decides who gets in)."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from accounts.roles import provider_required
from catedra.text import search_text
from ops import overview

PER_PAGE = 50


@provider_required
def backups(request):
    now = timezone.now()
    query = search_text(request.GET.get("q", ""))
    problems_only = request.GET.get("probleme") == "1"
    found = overview.schools_backed_up(now=now, query=query, problems_only=problems_only)
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("pagina"))
    context = {
        "page": page,
        "cards": overview.backup_cards(schools=list(page), now=now),
        "counts": overview.backup_counts(now=now),
        "schedule": overview.backup_schedule(now=now),
        "control_plane_anchor": overview.control_plane_anchor(now=now),
        "q": query,
        "problems_only": problems_only,
    }
    return render(request, "ops/backups.html", context)
