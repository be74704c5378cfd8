from audit.models import ActorKind, Source
from audit.services import audit_context
from catedra.celery_app import app
from provisioning import services


@app.task(ignore_result=True, acks_late=True)
def provision_school(job_id: int) -> None:
    """Make the school of a pending provisioning job (runs in public; safe to redeliver)."""
    with audit_context(actor_kind=ActorKind.JOB, actor_label="job:provision_school", source=Source.JOB):
        services.provisioning_job_run(job_id=job_id)
