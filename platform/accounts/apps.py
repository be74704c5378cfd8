from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Conturi"

    def ready(self):
        from allauth.account.signals import password_changed, password_reset

        from accounts import services

        # allauth changes and resets passwords in its own views; the audit trail hears of it here.
        password_changed.connect(
            lambda sender, request, user, **kw: services.password_changed(user=user, reset=False),
            dispatch_uid="accounts.audit.password_changed", weak=False,
        )  # fmt: skip
        password_reset.connect(
            lambda sender, request, user, **kw: services.password_changed(user=user, reset=True),
            dispatch_uid="accounts.audit.password_reset", weak=False,
        )  # fmt: skip
