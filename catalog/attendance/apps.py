from django.apps import AppConfig


class AttendanceConfig(AppConfig):
    name = "catalog.attendance"
    label = "attendance"
    verbose_name = "Absențe"
    default_auto_field = "django.db.models.BigAutoField"
