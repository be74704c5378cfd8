"""The SIIIR export page (DOMAIN rule 21): the school's secretariat or management picks a
year, an optional interval for grades and absences, and a format, and downloads the file to
upload into SIIIR. Anyone else gets a 404; a refused choice changes and records nothing."""

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from catalog.exports import services
from catalog.exports.formats import EXPORTERS
from catalog.structure.identity import SchoolIdentity
from catalog.structure.models import SchoolYear
from catalog.structure.selectors import year_current
from catalog.web import access
from catalog.web.forms import date_field

# What the file holds, one line per concept (the sheet or file name, then what it lists).
CONCEPTS = [
    ("unitate", _("școala: cod SIIIR, denumire, CUI, localitate, anul și intervalul exportului")),
    ("formatiuni", _("formațiunile de studiu: clasa, nivelul, ciclul, învățătorul sau dirigintele")),
    ("elevi", _("elevii pe formațiuni: CNP, nume, număr matricol, înscrierea și plecarea (transferuri)")),
    ("plan_cadru", _("disciplinele fiecărei formațiuni, cu orele pe săptămână și pe an")),
    ("note", _("notele și calificativele, cu data și tipul (în intervalul ales)")),
    ("absente", _("absențele pe oră, motivate sau nu, cu documentul (în intervalul ales)")),
    ("medii", _("mediile și calificativele anuale (și pe module), încheiate sau nu")),
    ("purtare", _("notele la purtare pe perioade")),
    ("scutiri", _("scutirile medicale, de religie și situațiile amânate aprobate")),
    ("situatie_anuala", _("situația la sfârșitul anului: promovat, corigent, repetent, amânat; media generală")),
]


class SiiirExportForm(forms.Form):
    year = forms.ModelChoiceField(
        label=_("Anul școlar"), queryset=SchoolYear.objects.all(), empty_label=None,
        error_messages={"required": _("Alegeți anul școlar."), "invalid_choice": _("Alegeți un an din listă.")},
    )  # fmt: skip
    since = date_field(_("Note și absențe din (opțional)"), required=False)
    until = date_field(_("până la (opțional)"), required=False)
    code = forms.ChoiceField(
        label=_("Formatul"), widget=forms.RadioSelect,
        error_messages={"required": _("Alegeți formatul."), "invalid_choice": _("Alegeți un format din listă.")},
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].choices = [(code, exporter.label) for code, exporter in EXPORTERS.items()]

    def clean(self):
        cleaned = super().clean()
        year = cleaned.get("year")
        if year is not None and not self.has_error("since") and not self.has_error("until"):
            try:
                services.interval_check(year, cleaned.get("since"), cleaned.get("until"))
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned


@access.configurer_only
def siiir_export(request):
    if request.method == "POST":
        form = SiiirExportForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            exported = services.siiir_export(
                actor=request.user, school=SchoolIdentity.of(request.tenant), year=data["year"], code=data["code"],
                since=data["since"], until=data["until"],
            )  # fmt: skip
            response = HttpResponse(exported.data, content_type=exported.content_type)
            response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
            return response
        status = 400
    else:
        current = year_current() or SchoolYear.objects.first()
        form = SiiirExportForm(initial={"year": current, "code": next(iter(EXPORTERS))})
        status = 200
    return render(request, "catalog/siiir_export.html", {"form": form, "concepts": CONCEPTS}, status=status)
