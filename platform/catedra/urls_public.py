"""URL map of the control-plane host (the provider's side, `public` schema)."""

from django.urls import include, path

from catedra import views
from provisioning.api import api as provider_api

urlpatterns = [
    path("", views.control_plane_home, name="control-plane-home"),
    path("api/v1/", provider_api.urls),
    path("", include("accounts.urls")),
]
