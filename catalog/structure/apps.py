from django.apps import AppConfig


class StructureConfig(AppConfig):
    name = "catalog.structure"
    label = "structure"
    verbose_name = "Structura anului școlar"
    default_auto_field = "django.db.models.BigAutoField"
