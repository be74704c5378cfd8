from django.apps import AppConfig


class FamilyConfig(AppConfig):
    name = "catalog.family"
    label = "family"
    verbose_name = "Familia: situația la zi"
