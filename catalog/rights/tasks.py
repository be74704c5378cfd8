"""Background jobs of the rights approvals (run in the school's schema: the app carries it)."""

import logging
import smtplib

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role
from catalog.notify.sending import school_url
from catalog.rights.models import Delegation, RightsRequest
from catalog.structure.services import grants_expire
from catedra.celery_app import app

logger = logging.getLogger(__name__)


# A mail server that does not answer is tried again five times, at most 1, 2, 4, 8 and 16
# minutes apart (jittered).
@app.task(
    ignore_result=True, acks_late=True, autoretry_for=(smtplib.SMTPException, OSError), max_retries=5,
    retry_backoff=60, retry_backoff_max=3600, retry_jitter=True,
)  # fmt: skip
def rights_mail_job(request_id: int, event: str) -> int:
    """Tell the approvers of a new request ("asked"), or its requester of the decision
    ("decided"), by e-mail: who, what in short, and the link; how many messages went."""
    request = RightsRequest.objects.select_related("requested_by", "decided_by").filter(pk=request_id).first()
    if request is None:
        return 0
    count = request.changes.count()
    if event == "asked":
        deputies = Delegation.objects.filter(ended_at__isnull=True).values("deputy")
        approvers = User.objects.filter(is_active=True).exclude(email="").filter(
            roles__overlap=[Role.DIRECTOR]
        ) | User.objects.filter(is_active=True, pk__in=deputies).exclude(email="")
        recipients = sorted({user.email for user in approvers})
        subject = _("Catedra: cerere de drepturi de aprobat")
        body = _("%(who)s cere %(n)s modificări de drepturi (cererea nr. %(id)s). Le vedeți și le aprobați aici: "
                 "%(url)s") % {
            "who": request.requested_by.get_full_name(), "n": count, "id": request.pk,
            "url": school_url(reverse("rights-queue"))}  # fmt: skip
    else:
        recipients = [request.requested_by.email] if request.requested_by.email else []
        subject = _("Catedra: cererea de drepturi nr. %(id)s a fost %(status)s") % {
            "id": request.pk, "status": request.get_status_display()}  # fmt: skip
        body = _("Decizia: %(status)s, de %(who)s.%(reason)s\n\nVedeți cererile dumneavoastră: %(url)s") % {
            "status": request.get_status_display(), "who": request.decided_by.get_full_name(),
            "reason": f" {_('Motivul')}: {request.decision_reason}" if request.decision_reason else "",
            "url": school_url(reverse("rights-mine"))}  # fmt: skip
    if recipients:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    return len(recipients)


@app.task(ignore_result=True)
def grants_expire_job() -> int:
    """In every school (ops.tasks.schools_dispatch), early each day: the temporary grants that
    ended are removed, each audited (they already gave nothing after their last day)."""
    removed = grants_expire(today=timezone.localdate())
    if removed:
        logger.info("%s temporary grants expired", removed)
    return removed
