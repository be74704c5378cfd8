"""The audit trail's pages: the director's (and deputies') in a school, the provider
superusers' on the control plane. Filter by person, actor, action and dates; export the
filtered events as CSV (the export is itself audited, so it is a POST: a page elsewhere
must not be able to make a browser add events)."""

import csv
from datetime import timedelta
from functools import wraps

from django import forms
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_tenants.utils import get_public_schema_name, schema_context

from audit.actions import Action, action_label
from audit.models import AuditEvent
from audit.selectors import EventFilter, events_filtered
from audit.services import audit_record

PAGE_SIZE = 50
MAX_RANGE_DAYS = 3660


def audit_viewer_required(view):
    """Directors and deputies in a school; provider superusers on the control plane: the
    roles that carry the permission to read the trail (accounts.roles.ROLE_PERMISSIONS).
    Anyone else signed in gets a 404, as on every page they may not see."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.has_perm("audit.view_auditevent"):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


class FilterForm(forms.Form):
    persoana = forms.CharField(label=gettext_lazy("Persoana"), required=False, max_length=100)
    autor = forms.CharField(label=gettext_lazy("Autor"), required=False, max_length=100)
    actiune = forms.ChoiceField(
        label=gettext_lazy("Acțiune"), required=False, choices=[("", gettext_lazy("Toate")), *Action.choices]
    )
    de_la = forms.DateField(label=gettext_lazy("De la"), required=False, widget=forms.DateInput({"type": "date"}))
    pana_la = forms.DateField(label=gettext_lazy("Până la"), required=False, widget=forms.DateInput({"type": "date"}))
    inainte = forms.IntegerField(required=False, min_value=1, max_value=2**62)  # the page: events before this one

    def clean(self):
        data = super().clean()
        since, until = data.get("de_la"), data.get("pana_la")
        if since and until and since > until:
            raise forms.ValidationError(_("Data de început este după data de sfârșit."))
        if since and until and until - since > timedelta(days=MAX_RANGE_DAYS):
            raise forms.ValidationError(_("Alegeți un interval de cel mult zece ani."))
        return data

    def event_filter(self) -> EventFilter:
        data = self.cleaned_data if self.is_valid() else {}
        return EventFilter(
            person=(data.get("persoana") or "").strip(),
            actor=(data.get("autor") or "").strip(),
            action=data.get("actiune") or "",
            since=data.get("de_la"),
            until=data.get("pana_la"),
        )


@never_cache
@audit_viewer_required
def audit_log(request):
    form = FilterForm(request.GET or None)
    page, older = [], None
    if not form.is_bound or form.is_valid():
        events = events_filtered(form.event_filter())
        if before := form.is_bound and form.cleaned_data.get("inainte"):
            events = events.filter(seq__lt=before)
        page = list(events[: PAGE_SIZE + 1])
        if len(page) > PAGE_SIZE:
            page, older = page[:PAGE_SIZE], page[PAGE_SIZE - 1].seq
    query = request.GET.copy()
    query.pop("inainte", None)
    context = {
        "form": form,
        "events": [(event, action_label(event.action)) for event in page],
        "older": older,
        "query": query.urlencode(),
        "export_filters": [(name, value) for name, values in query.lists() for value in values],
        "control_plane": connection.schema_name == get_public_schema_name(),
    }
    return render(request, "audit/log.html", context)


class _Echo:
    def write(self, value):
        return value


CSV_HEADER = (
    "seq", "moment", "autor", "roluri autor", "acțiune", "obiect", "id obiect", "persoana", "valori vechi",
    "valori noi", "motiv", "sursa", "IP", "cerere", "hash",
)  # fmt: skip


@never_cache
@require_POST
@audit_viewer_required
def audit_export(request):
    form = FilterForm(request.POST)
    if not form.is_valid():
        return render(request, "audit/log.html", {"form": form, "events": [], "query": ""}, status=400)
    event_filter = form.event_filter()
    audit_record(action=Action.AUDIT_EXPORTED, new={k: v for k, v in vars(event_filter).items() if v})
    lines = _csv_lines(connection.schema_name, event_filter)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response


def _csv_lines(schema_name: str, event_filter: EventFilter):
    """The export, line by line. It is read after the view returns, when the routing
    middleware has put the connection back on public: it names its schema itself."""
    writer = csv.writer(_Echo())
    yield "\ufeff"  # spreadsheet programs then read the file as UTF-8 (diacritics)
    yield writer.writerow(CSV_HEADER)
    with schema_context(schema_name):
        for event in events_filtered(event_filter).iterator(chunk_size=2000):
            yield writer.writerow(_row(event))


def _row(event: AuditEvent) -> list[str]:
    values = [
        event.seq, timezone.localtime(event.occurred_at).isoformat(timespec="seconds"),
        event.actor_name or event.get_actor_kind_display(), event.actor_roles, action_label(event.action),
        event.object_type, event.object_id, event.person_name, event.old_values or "", event.new_values or "",
        event.reason, event.get_source_display(), event.ip, event.request_id, event.hash,
    ]  # fmt: skip
    return [_cell(value) for value in values]


def _cell(value) -> str:
    """A CSV cell a spreadsheet will not run as a formula (CSV injection)."""
    text = str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
