from django.db import migrations


def create_public_tenant(apps, schema_editor):
    """The control plane is the tenant row of the `public` schema; it has no Domain:
    the control-plane host comes from settings (CATEDRA_CONTROL_PLANE_HOST)."""
    if schema_editor.connection.schema_name != "public":
        return
    School = apps.get_model("tenants", "School")
    School.objects.get_or_create(
        schema_name="public", defaults={"name": "Catedra", "slug": "public", "status": "active"}
    )


class Migration(migrations.Migration):
    dependencies = [("tenants", "0001_initial")]
    operations = [migrations.RunPython(create_public_tenant, migrations.RunPython.noop)]
