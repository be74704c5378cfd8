from django.core.management.base import BaseCommand

from provisioning import demo


class Command(BaseCommand):
    help = "Create the demo school `demo` with its demo data, if it does not exist yet."

    def handle(self, *args, **options):
        school, created = demo.demo_school_ensure()
        state = "created" if created else "already present"
        self.stdout.write(f"Demo school {school.slug} ({school.name}): {state}.")
