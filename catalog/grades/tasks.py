"""Background jobs of the catalog's grades (run in the school's schema: the app carries it)."""

from catalog.grades import legacy
from catedra.celery_app import app


@app.task(ignore_result=True, acks_late=True)
def legacy_import_job(job_id: int) -> None:
    """Import a checked CSV file of a year's semester averages before 2022-23 (legacy.legacy_import_run)."""
    legacy.legacy_import_run(job_id=job_id)
