"""Operations pages on the control-plane host (included by catedra/urls_public.py)."""

from django.urls import path

from ops import views

urlpatterns = [
    path("consola/backup/", views.backups, name="console-backups"),
]
