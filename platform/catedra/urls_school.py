"""URL map of every school host (`<slug>.<base domain>`, the school's own schema)."""

from django.urls import include, path

from accounts.urls import school_urlpatterns
from catalog.api.ims import api as oneroster_api
from catalog.api.v1 import api as school_api

urlpatterns = [
    path("api/v1/", school_api.urls),
    path("ims/oneroster/", oneroster_api.urls),
    path("", include("catalog.web.urls")),
    path("", include("accounts.urls")),
    path("", include("audit.urls")),
    path("", include(school_urlpatterns)),
]
