from django.apps import AppConfig


class CatedraConfig(AppConfig):
    name = "catedra"
    verbose_name = "Catedra"
