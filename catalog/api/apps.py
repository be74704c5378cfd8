from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "catalog.api"
    label = "school_api"
    verbose_name = "API-ul școlii"
