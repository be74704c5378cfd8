"""Forms of the catalog pages: they parse what was typed; the services judge it."""

from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.attendance.models import Excusal, ParentRequest
from catalog.grades.models import Grade

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_ERRORS = {"invalid": _("Scrieți o dată validă (zz.ll.aaaa)."), "required": _("Data este obligatorie.")}
DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]
MODULE_INVALID = _("Modulul ales nu este valid.")


def date_field(label: str, *, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label, required=required, widget=DATE_WIDGET, input_formats=DATE_FORMATS, error_messages=DATE_ERRORS
    )


class GradeForm(forms.Form):
    value = forms.CharField(label=_("Nota"), max_length=3, error_messages={"required": _("Alegeți nota.")})
    on = date_field(_("Data"))
    # The teză belongs to the years before 2022-23 only (rule 8); their grades come by import.
    kind = forms.ChoiceField(
        label=_("Tipul"), required=False,
        choices=[("", "—"), *((k, label) for k, label in Grade.Kind.choices if k != Grade.Kind.THESIS)],
    )  # fmt: skip
    # Rule 4: the curricular module of a technological class's subject (empty: none).
    module = forms.IntegerField(
        label=_("Modulul"), required=False, min_value=1, max_value=2**63 - 1,
        error_messages=dict.fromkeys(("invalid", "min_value", "max_value"), MODULE_INVALID),
    )  # fmt: skip


class AbsenceForm(forms.Form):
    on = date_field(_("Data"))
    hour = forms.TypedChoiceField(
        label=_("Ora"), coerce=int, choices=[(h, str(h)) for h in range(1, 15)],
        error_messages={"invalid_choice": _("Ora trebuie să fie un număr de la 1 la 14.")},
    )  # fmt: skip


class LateForm(forms.Form):
    """The absence (of today, at the teacher's hour) that a late arrival turns excused (rule 14)."""

    absence = forms.IntegerField(
        min_value=1, max_value=2**63 - 1,
        error_messages=dict.fromkeys(("required", "invalid", "min_value", "max_value"), _("Alegeți absența.")),
    )  # fmt: skip


class ChangeForm(forms.Form):
    """A grade's correction or deletion: the reason is required (Order art. 16(2))."""

    value = forms.CharField(label=_("Nota nouă"), max_length=3, required=False)
    reason = forms.CharField(
        label=_("Motivul"), max_length=500, error_messages={"required": _("Scrieți motivul modificării sau ștergerii.")}
    )


class ExcuseForm(forms.Form):
    starts = date_field(_("Din"))
    ends = date_field(_("Până la"))
    reason = forms.ChoiceField(
        label=_("Motivul"), choices=[c for c in Excusal.Reason.choices if c[0] != Excusal.Reason.LATE],
        error_messages={"invalid_choice": _("Motivul ales nu este valid.")},
    )  # fmt: skip
    document = forms.CharField(label=_("Număr document"), max_length=60, required=False)
    document_date = date_field(_("Data documentului"), required=False)


class ParentRequestForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Ce trimiteți"), widget=forms.RadioSelect, initial=ParentRequest.Kind.PARENT, required=False,
        choices=[(ParentRequest.Kind.PARENT, _("Cererea părintelui (fără document medical)")),
                 (ParentRequest.Kind.MEDICAL, _("Document medical (fotografie)"))],
        error_messages={"invalid_choice": _("Alegeți felul cererii."), "required": _("Alegeți felul cererii.")},
    )  # fmt: skip
    starts = date_field(_("Din"))
    ends = date_field(_("Până la"))
    note = forms.CharField(label=_("Motivul absenței"), max_length=500, required=False)
    special_case = forms.BooleanField(label=_("Elevă gravidă / elev-părinte (plafon mărit)"), required=False)
    # Checked by the service (attendance.evidence): it is re-encoded before it is kept.
    photo = forms.FileField(
        label=_("Fotografia documentului medical"), required=False,
        help_text=_("Doar pentru documentul medical: fotografiați-l cu telefonul sau alegeți poza."),
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        error_messages={"invalid": _("Fișierul trimis nu a putut fi citit.")},
    )  # fmt: skip

    def __init__(self, *args, special_case: bool = True, **kwargs):
        """`special_case`: whether to ask about it at all (not for a young child)."""
        super().__init__(*args, **kwargs)
        if not special_case:
            del self.fields["special_case"]

    def clean_kind(self) -> str:
        return self.cleaned_data["kind"] or ParentRequest.Kind.PARENT  # a form without the choice: a request


class MedicalNoteForm(forms.Form):
    """The homeroom teacher excuses with a medical note, copying its number and date from the photo."""

    document = forms.CharField(
        label=_("Număr document"), max_length=60, error_messages={"required": _("Scrieți numărul documentului.")}
    )
    document_date = date_field(_("Data documentului"))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("Aprob")), ("refuse", _("Resping"))],
        error_messages={"invalid_choice": _("Alegeți „Aprob” sau „Resping”."), "required": _("Alegeți o decizie.")},
    )
    note = forms.CharField(label=_("Observații (obligatoriu la respingere)"), max_length=500, required=False)
