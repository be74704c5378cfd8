"""Schools that had already left the platform get their `ended_on` from their move to
`ended`, so the backup purge's clock starts where it did before it was recorded."""

from django.db import migrations
from django.utils import timezone

LEFT = ("ended", "archived", "purged")


def ended_on_backfill(apps, schema_editor):
    School = apps.get_model("tenants", "School")
    SchoolTransition = apps.get_model("provisioning", "SchoolTransition")
    for school in School.objects.filter(status__in=LEFT, ended_on__isnull=True):
        moved = SchoolTransition.objects.filter(school=school, to_status="ended").order_by("-at", "-id").first()
        when = moved.at if moved else school.status_changed_at
        if when is not None:
            school.ended_on = timezone.localdate(when)
            school.save(update_fields=["ended_on"])


class Migration(migrations.Migration):
    dependencies = [
        ("provisioning", "0002_apitoken"),
        ("tenants", "0004_school_ended_on"),
    ]

    operations = [migrations.RunPython(ended_on_backfill, migrations.RunPython.noop)]
