"""Rule 10: a rule-set setting for unexcused absences reaching the share at several subjects:
a point per subject (the Statute's "cu câte un punct", the default) or one point in total
(what the catalog computed until now).

Existing rule sets get the legal reading, per subject. What the catalog stored stays as
stored: a closed year is frozen (no exam, no reopening), so its results are never computed
again, and a closed class of an open year keeps its stored results until an exam or a
reopening computes them again, then by the rule as the law reads it. A school that counts the
subjects once revises its year's rules (a new version)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("structure", "0005_import_job")]

    operations = [
        migrations.AddField(
            model_name="ruleset",
            name="conduct_subject_deduction",
            field=models.CharField(
                choices=[
                    ("per_subject", "câte un punct pentru fiecare disciplină"),
                    ("once", "un singur punct, oricâte discipline"),
                ],
                default="per_subject",
                max_length=12,
                verbose_name="scăderea când absențele ating procentul la mai multe discipline",
            ),
        ),
        migrations.AddConstraint(
            model_name="ruleset",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("conduct_subject_deduction", "per_subject"), ("conduct_subject_deduction", "once"), _connector="OR"
                ),
                name="rule_set_conduct_subject_deduction_known",
            ),
        ),
    ]
