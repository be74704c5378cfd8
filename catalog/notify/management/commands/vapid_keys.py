"""Print a new VAPID key pair for Web Push (CATEDRA_VAPID_PRIVATE_KEY, CATEDRA_VAPID_PUBLIC_KEY)."""

from django.core.management.base import BaseCommand

from catedra.keys import vapid_pair_new


class Command(BaseCommand):
    help = "Print a new VAPID key pair for Web Push, as the two settings to keep in the secrets."

    def handle(self, *args, **options):
        private, public = vapid_pair_new()
        self.stdout.write(f"CATEDRA_VAPID_PRIVATE_KEY={private}\nCATEDRA_VAPID_PUBLIC_KEY={public}\n")
