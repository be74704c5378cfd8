from django.urls import path

from audit import views

# On the control plane (provider superusers) and on every school (director, deputies).
urlpatterns = [
    path("audit/", views.audit_log, name="audit-log"),
    path("audit/export.csv", views.audit_export, name="audit-export"),
]
