from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Jurnal de audit"

    def ready(self):
        # pgtrigger gives makemigrations an autodetector that knows triggers; Django's check
        # (commands.E001) wants `migrate` to use the same one, and ours is django-tenants'.
        from django.core.management.commands import makemigrations
        from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand

        MigrateSchemasCommand.autodetector = makemigrations.Command.autodetector
