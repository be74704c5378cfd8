from django.apps import AppConfig


class RightsConfig(AppConfig):
    name = "catalog.rights"
    label = "rights"
    verbose_name = "Drepturi aprobate de conducere"

    def ready(self) -> None:
        # Accounts asks the catalog which roles wait for approval (it never imports the catalog).
        from accounts.services import role_approval_register
        from catalog.rights.services import SchoolRoleApproval

        role_approval_register(SchoolRoleApproval())
