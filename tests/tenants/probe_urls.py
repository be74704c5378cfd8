"""A URL map for routing tests: shows which schema served the request and whose users it sees."""

from django.db import connection
from django.http import JsonResponse
from django.urls import path

from accounts.models import User


def users_here(request):
    with connection.cursor() as cursor:
        cursor.execute("SHOW search_path")
        search_path = cursor.fetchone()[0]
    usernames = sorted(User.objects.values_list("username", flat=True))
    return JsonResponse({"schema": connection.schema_name, "search_path": search_path, "users": usernames})


urlpatterns = [path("probe/users", users_here)]
