from catedra.celery_app import app
from provisioning import services


@app.task(ignore_result=True, acks_late=True)
def provision_school(job_id: int) -> None:
    """Make the school of a pending provisioning job (runs in public; safe to redeliver)."""
    services.provisioning_job_run(job_id=job_id)
