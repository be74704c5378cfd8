from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "catalog.notify"
    label = "notify"
    verbose_name = "Notificări pentru familii"
