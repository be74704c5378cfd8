"""A parent's notifications: what to be told, how and how often; this phone's Web Push
subscription (JSON door); and the PWA's manifest and service worker, on the school's host."""

import json
import re
from contextlib import suppress
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_POST, require_safe

from accounts.models import SmsDevice
from accounts.roles import Role
from catalog.notify.models import Kind, Preference, PushSubscription, Rhythm
from catalog.notify.services import preference_of

SERVICE_WORKER = Path(__file__).resolve().parent / "static" / "web" / "sw.js"
# A push service's endpoint: an https URL (plain http only on this machine, for development).
_ENDPOINT = re.compile(r"^(https://[^\s/]+|http://(127\.0\.0\.1|localhost)(:\d+)?)/[^\s]{0,500}$")
_KEY = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")


class PreferenceForm(forms.ModelForm):
    kinds = forms.MultipleChoiceField(
        label=gettext_lazy("Despre ce"), choices=Kind.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    rhythm = forms.ChoiceField(label=gettext_lazy("Cât de des"), choices=Rhythm.choices, widget=forms.RadioSelect)

    class Meta:
        model = Preference
        fields = ["kinds", "rhythm", "email", "push", "sms"]

    def __init__(self, *args, sms_possible: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not sms_possible:
            del self.fields["sms"]


def _parent(request) -> None:
    if not request.user.has_role(Role.PARENT):
        raise Http404


def _sms_possible(user) -> bool:
    return SmsDevice.number_for(user) is not None


@login_required
def notification_settings(request):
    """The parent chooses; the page also turns on notifications on this phone (push.js)."""
    _parent(request)
    preference = preference_of(request.user)
    sms_possible = _sms_possible(request.user)
    form = PreferenceForm(request.POST or None, instance=preference, sms_possible=sms_possible,
                          initial={"kinds": preference.kinds})  # fmt: skip
    if request.method == "POST" and form.is_valid():
        chosen = form.save(commit=False)
        chosen.sms = chosen.sms and sms_possible
        chosen.save()
        messages.success(request, _("Preferințele de notificare au fost salvate."))
        return redirect("notification-settings")
    context = {
        "form": form, "devices": PushSubscription.objects.filter(user=request.user).count(),
        "vapid_key": settings.CATEDRA_VAPID_PUBLIC_KEY, "sms_possible": sms_possible,
    }  # fmt: skip
    return render(request, "web/notifications.html", context, status=400 if form.errors else 200)


def _json_error(detail: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


@never_cache
@require_POST
def push_subscribe(request):
    """This browser's Web Push subscription (the JSON `PushSubscription.toJSON()` gives)."""
    if not request.user.is_authenticated:
        return _json_error(_("Autentificați-vă mai întâi."), status=401)
    if not request.user.has_role(Role.PARENT):
        return _json_error(_("Notificările sunt pentru părinți."), status=403)
    data = None
    if request.content_type == "application/json":
        with suppress(ValueError):
            data = json.loads(request.body)
    keys = data.get("keys") if isinstance(data, dict) else None
    endpoint = data.get("endpoint") if isinstance(data, dict) else None
    if not (isinstance(endpoint, str) and _ENDPOINT.match(endpoint) and isinstance(keys, dict)
            and all(isinstance(keys.get(k), str) and _KEY.match(keys[k]) and len(keys[k]) <= limit
                    for k, limit in (("p256dh", 200), ("auth", 100)))):  # fmt: skip
        return _json_error(_("Abonamentul trimis de browser nu este valid."))
    PushSubscription.objects.update_or_create(
        endpoint=endpoint, defaults={"user": request.user, "p256dh": keys["p256dh"], "auth": keys["auth"]}
    )
    Preference.objects.filter(user=request.user).update(push=True)
    return JsonResponse({"subscribed": True})


@login_required
@require_POST
def push_forget(request):
    """Stop notifications on every phone of the user (they can be turned on again)."""
    _parent(request)
    PushSubscription.objects.filter(user=request.user).delete()
    messages.success(request, _("Notificările pe telefoane au fost oprite."))
    return redirect("notification-settings")


@require_safe
@cache_control(max_age=3600)
def manifest(request):
    """The PWA's manifest: the school's name on the home screen, Catedra's icons."""
    icons = [
        {"src": static("catedra/icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
        {"src": static("catedra/icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        {"src": static("catedra/icons/icon-512-maskable.png"), "sizes": "512x512", "type": "image/png",
         "purpose": "maskable"},
    ]  # fmt: skip
    body = {
        "name": f"Catedra · {request.tenant.name}", "short_name": "Catedra", "lang": "ro", "start_url": "/",
        "scope": "/", "display": "standalone", "background_color": "#f6f7f9", "theme_color": "#1f4e79",
        "icons": icons,
    }  # fmt: skip
    return JsonResponse(body, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})


@require_safe
@cache_control(max_age=0, no_cache=True)
def service_worker(request):
    """The service worker at the host's root (its scope is the whole school host)."""
    response = HttpResponse(SERVICE_WORKER.read_bytes(), content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    return response
