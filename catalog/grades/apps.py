from django.apps import AppConfig


class GradesConfig(AppConfig):
    name = "catalog.grades"
    label = "grades"
    verbose_name = "Note și medii"
    default_auto_field = "django.db.models.BigAutoField"
