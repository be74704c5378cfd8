from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "catalog.privacy"
    label = "privacy"
    verbose_name = "Drepturile persoanelor vizate (RGPD)"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from catalog.privacy.notices import notice_due_mark

        user_logged_in.connect(notice_due_mark, dispatch_uid="catalog.privacy.notice_due")
