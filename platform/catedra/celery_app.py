"""The Celery app. Tasks carry the schema they were sent from (tenant-schemas-celery),
so a task enqueued in a school's request runs in that school's schema."""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catedra.settings")

app = CeleryApp("catedra")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
