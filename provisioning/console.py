"""The provider console on the control-plane host: schools, their jobs and lifecycle.

Provider staff only (their sign-in and 2FA are enforced before these views run); the
billing role reads, operators and superusers act. Rules live in the services."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import PROVIDER_ACTORS, provider_required
from catedra.text import search_text
from ops.backups import retention
from provisioning import lifecycle, services
from tenants.counties import County
from tenants.models import School


class SchoolForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Denumire"), max_length=200)
    slug = forms.CharField(label=gettext_lazy("Identificator (subdomeniu)"), max_length=40)
    siiir_code = forms.CharField(label=gettext_lazy("Cod SIIIR"), max_length=10)
    cui = forms.CharField(label=gettext_lazy("Cod fiscal (CUI)"), max_length=14)
    county = forms.ChoiceField(label=gettext_lazy("Județ"), choices=County.choices)
    locality = forms.CharField(label=gettext_lazy("Localitate"), max_length=120)
    admin_name = forms.CharField(label=gettext_lazy("Numele secretarului (administrator)"), max_length=150)
    admin_email = forms.EmailField(label=gettext_lazy("E-mailul secretarului"))
    contract_start = forms.DateField(label=gettext_lazy("Început contract"), required=False,
                                     widget=forms.DateInput({"type": "date"}))  # fmt: skip
    contract_end = forms.DateField(label=gettext_lazy("Sfârșit contract"), required=False,
                                   widget=forms.DateInput({"type": "date"}))  # fmt: skip


@provider_required
def schools(request):
    found = School.objects.exclude(schema_name="public").order_by("name")
    if query := search_text(request.GET.get("q", "")):
        found = found.filter(Q(name__icontains=query) | Q(slug__icontains=query) | Q(siiir_code__startswith=query))
    if (status := request.GET.get("stare", "")) in School.Status.values:
        found = found.filter(status=status)
    page = Paginator(found, 50).get_page(request.GET.get("pagina"))
    context = {"page": page, "q": query, "status": status, "statuses": School.Status.choices}
    return render(request, "provisioning/console_schools.html", context)


@provider_required
def school_new(request):
    form = SchoolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.school_provision_request(**form.cleaned_data, requested_by=_actor(request))
        except ValidationError as exc:
            for name, errors in exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]:
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(request, _("Școala este în curs de creare."))
            return redirect("console-school", slug=job.school.slug)
    return render(request, "provisioning/console_school_new.html", {"form": form})


@provider_required
def school_detail(request, slug: str):
    school = _school(slug)
    jobs = school.provisioning_jobs.prefetch_related("steps").order_by("-attempt")[:5]
    context = {
        "school": school,
        "jobs": jobs,
        "transitions": school.transitions.order_by("-at", "-id")[:50],
        "next_states": [(s, School.Status(s).label) for s in sorted(lifecycle.ALLOWED.get(school.status, ()))
                        if s not in (School.Status.PROVISIONING, School.Status.FAILED)],
        "url": school.public_url,
        "retention_ends": retention.retention_ends(school),
        "retention_months": retention.retention_months(),
        "can_act": request.user.has_role(*PROVIDER_ACTORS),
    }  # fmt: skip
    return render(request, "provisioning/console_school.html", context)


@provider_required
def school_transition(request, slug: str):
    school = _school(slug)
    if request.method != "POST":
        return redirect("console-school", slug=slug)
    try:
        lifecycle.school_transition(
            school=school, to=request.POST.get("to", ""), actor=_actor(request), reason=request.POST.get("reason", "")
        )
    except lifecycle.LifecycleError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Starea școlii a fost schimbată."))
    return redirect("console-school", slug=slug)


@provider_required
def school_retry(request, slug: str):
    school = _school(slug)
    if request.method == "POST":
        try:
            services.provisioning_job_retry(school=school, requested_by=_actor(request))
        except lifecycle.LifecycleError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("O nouă încercare a început."))
    return redirect("console-school", slug=slug)


def _school(slug: str) -> School:
    school = School.objects.exclude(schema_name="public").filter(slug=slug[:40]).first()
    if school is None:
        raise Http404
    return school


def _actor(request) -> str:
    return f"provider:{request.user.username}"
