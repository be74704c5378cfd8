from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from catedra.embedded import EmbeddedStack
from catedra.management.commands.run import stop_previous_run


class Command(BaseCommand):
    help = "Status of the embedded PostgreSQL and Redis, or stop them (`catedra embedded stop`)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["status", "stop"])

    def handle(self, *args, action, **options):
        if not settings.EMBEDDED_SERVERS:
            raise CommandError("DATABASE_URL and REDIS_URL are set: no embedded servers are in use.")
        stack = EmbeddedStack(settings.CATEDRA_DATA_DIR)
        if action == "stop":
            stop_previous_run(self.stdout)
            stack.stop()
        for name, running in stack.status().items():
            self.stdout.write(f"{name}: {'running' if running else 'stopped'}")
        self.stdout.write(f"data: {settings.CATEDRA_DATA_DIR}")
        self.stdout.write(f"processes holding them: {stack.live_leases() or 'none'}")
