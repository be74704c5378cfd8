"""Every school starts with rule set v1: the defaults of DOMAIN.md (see RuleSet)."""

from django.db import migrations


def first_rule_set(apps, schema_editor):
    RuleSet = apps.get_model("structure", "RuleSet")
    RuleSet.objects.get_or_create(version=1, defaults={"note": "Reguli implicite (2025)", "notify_at": [10, 20, 40]})


class Migration(migrations.Migration):
    dependencies = [("structure", "0001_initial")]
    operations = [migrations.RunPython(first_rule_set, migrations.RunPython.noop)]
