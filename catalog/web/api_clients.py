"""The school's API clients (secretary and director): who may read the catalog through the
API, with which scopes, from where and until when; a key shown once; rotate and revoke; and
the OneRoster CSV bundle for the LMS the school uses. Anyone else gets a 404."""

from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.services import NotAllowed
from audit.actions import Action
from audit.services import audit_record
from catalog.api import clients
from catalog.api.clients import MANAGERS
from catalog.api.models import ApiClient, Scope
from catalog.api.oneroster import Roster, csv_bundle
from catalog.structure.identity import SchoolIdentity
from catalog.web import access
from catalog.web.configure import written
from catalog.web.configure_forms import plain_text
from catalog.web.forms import date_field


def manager_only(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not (request.user.is_active and request.user.has_role(*MANAGERS)):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


class ClientForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Numele clientului"), max_length=80, validators=[plain_text],
                           help_text=gettext_lazy("de exemplu „ISJ Iași” sau „SIIIR”"))  # fmt: skip
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("Ce poate citi"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Alegeți cel puțin un drept de citire.")},
    )  # fmt: skip
    networks = forms.CharField(
        label=gettext_lazy("Rețele permise (opțional)"), required=False, max_length=2000, widget=forms.Textarea,
        help_text=gettext_lazy("o adresă IP sau o rețea pe rând, de exemplu 10.20.0.0/16; gol: de oriunde"),
    )  # fmt: skip
    expires_on = date_field(gettext_lazy("Valabil până la (opțional)"), required=False)
    rate_per_minute = forms.IntegerField(label=gettext_lazy("Cereri pe minut"), min_value=1, max_value=100000,
                                         initial=600)  # fmt: skip

    def fields_for_service(self) -> dict:
        data = self.cleaned_data
        return {
            "scopes": data["scopes"], "networks": data["networks"].split(), "expires_on": data["expires_on"],
            "rate_per_minute": data["rate_per_minute"],
        }  # fmt: skip


class ChangeForm(ClientForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["name"]


class RotateForm(forms.Form):
    grace_hours = forms.IntegerField(
        label=gettext_lazy("Cheia veche mai funcționează (ore)"), min_value=0, max_value=clients.MAX_GRACE_HOURS,
        initial=24, help_text=gettext_lazy("timp ca sistemul clientului să treacă la cheia nouă; 0: se oprește acum"),
    )  # fmt: skip


class RevokeForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Motivul"), max_length=500, required=False, validators=[plain_text])


def _key_shown(request, issued: clients.IssuedKey, *, new: bool):
    """The key, once: never stored, never in a message or a redirect."""
    response = render(request, "catalog/api/key.html", {"issued": issued, "new": new})
    response["Cache-Control"] = "no-store"
    return response


@manager_only
def client_list(request):
    form = ClientForm(request.POST or None)
    issued = []
    if written(request, form, lambda data: issued.append(
        clients.client_create(actor=request.user, name=data["name"], **form.fields_for_service())
    )):  # fmt: skip
        return _key_shown(request, issued[0], new=True)
    context = {"form": form, "clients": ApiClient.objects.prefetch_related("keys"), "scopes": dict(Scope.choices)}
    return render(request, "catalog/api/clients.html", context, status=400 if request.method == "POST" else 200)


@manager_only
def client_detail(request, client_id: int):
    client = get_object_or_404(ApiClient, pk=client_id)
    initial = {"scopes": client.scopes, "networks": "\n".join(client.networks), "expires_on": client.expires_on,
               "rate_per_minute": client.rate_per_minute}  # fmt: skip
    form = ChangeForm(request.POST or None, initial=initial)
    if written(request, form, lambda data: clients.client_change(actor=request.user, client=client,
                                                                 **form.fields_for_service())):  # fmt: skip
        messages.success(request, _("Clientul %(name)s a fost modificat.") % {"name": client.name})
        return redirect("api-client", client_id=client.pk)
    context = {"client": client, "form": form, "rotate": RotateForm(), "revoke": RevokeForm(),
               "keys": client.keys.all(), "scopes": dict(Scope.choices)}  # fmt: skip
    return render(request, "catalog/api/client.html", context, status=400 if request.method == "POST" else 200)


@manager_only
@require_POST
def client_rotate(request, client_id: int):
    client = get_object_or_404(ApiClient, pk=client_id)
    form = RotateForm(request.POST)
    if form.is_valid():
        try:
            issued = clients.key_rotate(actor=request.user, client=client, grace_hours=form.cleaned_data["grace_hours"])
        except (ValidationError, NotAllowed) as error:
            messages.error(request, access.refusal_text(error))
        else:
            return _key_shown(request, issued, new=False)
    else:
        access.form_refused(request, form)
    return redirect("api-client", client_id=client.pk)


@manager_only
@require_POST
def client_revoke(request, client_id: int):
    client = get_object_or_404(ApiClient, pk=client_id)
    form = RevokeForm(request.POST)
    if form.is_valid():
        clients.client_revoke(actor=request.user, client=client, reason=form.cleaned_data["reason"])
        messages.success(request, _("Clientul %(name)s a fost revocat: cheile lui nu mai funcționează.")
                         % {"name": client.name})  # fmt: skip
    else:
        access.form_refused(request, form)
    return redirect("api-client", client_id=client.pk)


@manager_only
@require_POST
def oneroster_download(request):
    """The OneRoster 1.2 CSV bundle (bulk) of the whole school, for an LMS's rostering."""
    identity = SchoolIdentity.of(request.tenant)
    roster = Roster(identity, request.build_absolute_uri("/ims/oneroster"), personal=False)
    data = csv_bundle(roster)
    counts = {"users": len(roster.users), "enrollments": len(roster.enrollments), "bytes": len(data)}
    audit_record(action=Action.ONEROSTER_EXPORTED, actor=request.user, object_type="oneroster", new=counts)
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="oneroster-{identity.siiir_code or "scoala"}.zip"'
    response["Cache-Control"] = "no-store"
    return response
