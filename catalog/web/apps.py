from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "catalog.web"
    label = "web"
    verbose_name = "Pagini"
