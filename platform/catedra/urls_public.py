"""URL map of the control-plane host (the provider's side, `public` schema)."""

from django.urls import include, path

from catedra import views
from provisioning import console
from provisioning.api import api as provider_api

urlpatterns = [
    path("", views.control_plane_home, name="control-plane-home"),
    path("api/v1/", provider_api.urls),
    path("consola/", console.schools, name="console-schools"),
    path("consola/scoli/noua/", console.school_new, name="console-school-new"),
    path("consola/scoli/<str:slug>/", console.school_detail, name="console-school"),
    path("consola/scoli/<str:slug>/stare/", console.school_transition, name="console-school-transition"),
    path("consola/scoli/<str:slug>/reincercare/", console.school_retry, name="console-school-retry"),
    path("", include("ops.urls")),
    path("", include("accounts.urls")),
    path("", include("audit.urls")),
]
