"""The parents' notices about absences that were not sent (rule 17), for the secretariat, the
school's management and the class's homeroom teacher, who send one again."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog.attendance import notices
from catalog.attendance.models import NoticeDelivery
from catalog.attendance.selectors import UNSENT_SHOWN, deliveries_unsent
from catalog.web import access


@login_required
def notices_unsent(request):
    unsent = deliveries_unsent(user=request.user)
    if unsent is None:
        raise Http404
    now = timezone.now()
    rows = [(delivery, notices.is_stuck(delivery, now)) for delivery in unsent[:UNSENT_SHOWN]]
    return render(
        request, "web/notices_unsent.html", {"rows": rows, "more": len(unsent) > UNSENT_SHOWN, "shown": UNSENT_SHOWN}
    )


@login_required
@require_POST
def notice_resend(request, delivery_id: int):
    delivery = get_object_or_404(NoticeDelivery.objects.select_related("notice__school_class"), pk=delivery_id)
    if not notices.follows_notices(request.user, delivery.notice.school_class):
        raise Http404
    try:
        notices.notice_delivery_resend(actor=request.user, delivery=delivery)
        messages.success(request, _("Înștiințarea a fost pusă din nou la trimis."))
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, access.refusal_text(error))
    return redirect("notices-unsent")
