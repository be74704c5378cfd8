"""StudentImportJob becomes ImportJob: the history of the years before 2022-23 is imported
by a background job too (kind "legacy"); the jobs already there are the students' kind."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("structure", "0004_student_import_job")]

    operations = [
        migrations.RenameModel("StudentImportJob", "ImportJob"),
        migrations.RemoveIndex(model_name="importjob", name="student_import_job_recent"),
        migrations.AddField(
            model_name="importjob",
            name="kind",
            field=models.CharField(
                choices=[("students", "elevi și părinți"), ("legacy", "istoricul anilor dinainte de 2022-2023")],
                default="students",
                max_length=10,
            ),
        ),
        migrations.AddIndex(
            model_name="importjob",
            index=models.Index(fields=["kind", "-created_at"], name="import_job_recent"),
        ),
    ]
