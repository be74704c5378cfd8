"""URL map of the control-plane host (the provider's side, `public` schema)."""

from django.urls import path

from catedra import views

urlpatterns = [
    path("", views.control_plane_home, name="control-plane-home"),
]
