"""Background jobs of the catalog's structure (run in the school's schema: the app carries it)."""

from catalog.structure import imports
from catedra.celery_app import app


@app.task(ignore_result=True, acks_late=True)
def students_import_job(job_id: int) -> None:
    """Import a checked CSV file of students and parents (imports.students_import_run)."""
    imports.students_import_run(job_id=job_id)
