from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError
from django.utils import timezone

from provisioning.models import ApiToken


class Command(BaseCommand):
    help = "Provider API tokens: `create NAME` (prints the token once), `revoke NAME`, `list`."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["create", "revoke", "list"])
        parser.add_argument("name", nargs="?")

    def handle(self, *args, action, name, **options):
        if action == "list":
            for token in ApiToken.objects.order_by("name"):
                state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
                self.stdout.write(f"{token.name}\t{state}\tlast used {token.last_used_at or 'never'}")
            return
        if not name or len(name) > 80:
            raise CommandError("Give the token a name of at most 80 characters.")
        if action == "create":
            try:
                _token, secret = ApiToken.issue(name=name)
            except IntegrityError as exc:
                raise CommandError(f"A token named {name!r} already exists.") from exc
            self.stdout.write(secret)
        elif not ApiToken.objects.filter(name=name, revoked_at__isnull=True).update(revoked_at=timezone.now()):
            raise CommandError(f"No active token named {name!r}.")
