"""The pages of the rights approvals (Order 3896/2023 art. 15, 20(2)): the director's queue
(approve or reject, one or many, from a 2FA-verified session), the delegation to a deputy
and the statistics consents; the requester's own requests; a teacher's rights."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.models import User
from accounts.roles import Role
from catalog.rights import selectors as reads
from catalog.rights import services as rights
from catalog.rights.models import Delegation, RightsRequest
from catalog.web import access
from catalog.web.configure_forms import plain_text

NOT_VERIFIED = _("Aprobarea drepturilor cere o sesiune confirmată cu al doilea factor. Ieșiți și intrați din nou.")
DECISION_INVALID = _("Alegeți „Aprob” sau „Resping”.")
NOTHING_CHOSEN = _("Alegeți cel puțin o cerere.")


def _approver(request) -> None:
    if not rights.approves(request.user):
        raise Http404


@login_required
@require_safe
def queue(request):
    """What waits for the director: who asked, what, why; the recent decisions; the
    delegations and consents the director looks after."""
    _approver(request)
    deputies = User.objects.filter(roles__overlap=[Role.DEPUTY], is_active=True).order_by("last_name", "first_name")
    return render(request, "web/rights_queue.html", {
        "pending": reads.queue(), "decided": reads.decided_recently(), "delegations": reads.delegations_open(),
        "deputies": deputies, "consents": reads.consents_active(),
        "is_director": request.user.has_role(Role.DIRECTOR),
    })  # fmt: skip


@login_required
@require_POST
def decide(request):
    """Approve or reject the chosen requests (`cerere`, one or many), with one reason."""
    _approver(request)
    if not request.user.is_verified():
        messages.error(request, NOT_VERIFIED)
        return redirect("rights-queue")
    decision = request.POST.get("decizie")
    ids = [value for value in request.POST.getlist("cerere") if value.isascii() and value.isdigit()]
    if decision not in ("aprob", "resping"):
        messages.error(request, DECISION_INVALID)
    elif not ids:
        messages.error(request, NOTHING_CHOSEN)
    else:
        chosen = list(RightsRequest.objects.filter(pk__in=[int(i) for i in ids[:500] if len(i) < 12]))
        reason = request.POST.get("motiv", "")[:500]
        try:
            plain_text(reason)
        except ValidationError as error:
            messages.error(request, error.messages[0])
            return redirect("rights-queue")
        done, refused = rights.rights_decide_many(
            actor=request.user, requests=chosen, approve=decision == "aprob", reason=reason
        )
        if done:
            text = _("%(n)s cereri aprobate.") if decision == "aprob" else _("%(n)s cereri respinse.")
            messages.success(request, text % {"n": done})
        for refusal in refused:
            messages.error(request, refusal)
    return redirect("rights-queue")


@login_required
@require_POST
def delegation_grant(request):
    if not request.user.has_role(Role.DIRECTOR) or not request.user.is_verified():
        raise Http404
    deputy = get_object_or_404(User, pk=_pk(request.POST.get("adjunct")))
    try:
        rights.delegation_grant(actor=request.user, deputy=deputy)
        messages.success(request, _("%(name)s poate aproba drepturile.") % {"name": deputy.get_full_name()})
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, access.refusal_text(error))
    return redirect("rights-queue")


@login_required
@require_POST
def delegation_end(request, delegation_id: int):
    if not request.user.has_role(Role.DIRECTOR) or not request.user.is_verified():
        raise Http404
    delegation = get_object_or_404(Delegation.objects.select_related("deputy"), pk=delegation_id)
    rights.delegation_end(actor=request.user, delegation=delegation)
    messages.success(request, _("Delegarea a fost retrasă."))
    return redirect("rights-queue")


@login_required
@require_POST
def consent_withdraw(request, user_id: int):
    _approver(request)
    if not request.user.is_verified():
        messages.error(request, NOT_VERIFIED)
        return redirect("rights-queue")
    viewer = get_object_or_404(User, pk=user_id)
    try:
        rights.consent_withdraw(actor=request.user, user=viewer, reason=request.POST.get("motiv", ""))
        messages.success(request, _("Acordul a fost retras: contul nu mai are acces."))
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, access.refusal_text(error))
    return redirect("rights-queue")


@access.configurer_only
@require_safe
def mine(request):
    """The requester's requests and their state."""
    return render(request, "web/rights_mine.html", {"requests": reads.requests_of(request.user)})


@login_required
@require_safe
def my_rights(request):
    """A teacher's rights now: assignments, temporary grants with their end dates, classes led."""
    if not request.user.has_role(Role.TEACHER):
        raise Http404
    return render(request, "web/my_rights.html", reads.rights_of(request.user))


def _pk(value: str | None) -> int:
    if value and value.isascii() and value.isdigit() and len(value) < 12:
        return int(value)
    raise Http404
