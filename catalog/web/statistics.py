"""The statistics page: a school year's aggregates for the statistics viewer and the school's
management (Order 3896/2023 art. 20). No name, CNP or single student's figure appears on it;
anyone else gets a 404."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from accounts.roles import Role
from catalog.grades.statistics import SMALLEST_GROUP, year_statistics
from catalog.structure.models import SchoolYear
from catalog.structure.selectors import year_current

READERS = (Role.STATS_VIEWER, Role.DIRECTOR, Role.DEPUTY)


@login_required
def statistics(request):
    if not request.user.has_role(*READERS):
        raise Http404
    years = list(SchoolYear.objects.order_by("-starts"))
    chosen = request.GET.get("an")
    if chosen is None:
        year = year_current() or (years[0] if years else None)
    else:
        year = next((year for year in years if str(year.pk) == chosen), None)
        if year is None:
            raise Http404
    figures = year_statistics(year) if year is not None else None
    context = {"years": years, "year": year, "figures": figures, "smallest": SMALLEST_GROUP}
    return render(request, "catalog/statistics.html", context)
