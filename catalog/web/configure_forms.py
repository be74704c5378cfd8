"""Forms of the configuration pages: they parse what the secretary typed; the structure
services judge it (their refusals come back as form errors)."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Role
from catalog.structure.cnp import cnp_validate
from catalog.structure.models import Enrolment, Exemption, Level, RuleSet, SchoolClass, SchoolYear, Subject
from catalog.structure.services import RULE_FIELDS
from catalog.web.forms import date_field
from catedra.text import has_control_characters

YEAR_NAME = _("Scrieți anul școlar ca 2026-2027 (doi ani la rând, între 1950 și 2100).")
YEAR_SPAN = _("Anul școlar {name} începe în {first} și se termină în {second}.")
CONTROL_CHARACTERS = _("Textul are caractere nepermise.")
NO_PERIODS = _("Anul școlar are nevoie de cel puțin o perioadă de cursuri.")
NOTIFY_AT = _("Scrieți pragurile ca numere întregi de la 1 la 1000, despărțite prin virgulă (de exemplu 10, 20, 40).")
NOTHING_CHANGED = _("Nu ați schimbat nicio regulă.")
REASON_REQUIRED = _("Scrieți motivul.")
SUBJECT_TAKEN = _("Disciplina {name} există deja.")
CLASS_TAKEN = _("{name} există deja în anul școlar {year}.")
CHOICE = {"invalid_choice": _("Alegerea nu este validă."), "required": _("Alegeți o opțiune.")}
# Each rule's allowed range (the rule set's check constraint), else 0–1000.
RULE_RANGES = {
    "conduct_absence_step": (1, 1000),
    "conduct_subject_percent": (1, 100),
    "parent_request_percent": (0, 100),
    "special_request_percent": (0, 100),
    "notify_subject_percent": (1, 100),
    "document_days": (0, 365),
}


def number_field(label: str, low: int, high: int, **kwargs) -> forms.IntegerField:
    """A whole number from `low` to `high`, with Romanian messages (Django's use the cedilla ţ)."""
    return forms.IntegerField(
        label=label, min_value=low, max_value=high, **kwargs,
        error_messages={
            "invalid": _("Scrieți un număr întreg."),
            "min_value": _("Cel puțin %(limit_value)s."),
            "max_value": _("Cel mult %(limit_value)s."),
        },
    )  # fmt: skip


def plain_text(value: str) -> None:
    """Text without control or format characters (bidi overrides, escapes)."""
    if has_control_characters(value):
        raise ValidationError(CONTROL_CHARACTERS)


def teachers() -> QuerySet[User]:
    """The school's active teachers, alphabetically."""
    return User.objects.filter(roles__contains=[Role.TEACHER], is_active=True).order_by("last_name", "first_name")


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.last_name} {obj.first_name}".strip() or obj.username


def teacher_field(label: str, *, required: bool = True) -> PersonChoiceField:
    return PersonChoiceField(
        label=label, queryset=teachers(), required=required, error_messages=CHOICE,
        empty_label=_("— fără —") if not required else "—",
    )  # fmt: skip


def subject_field(queryset: QuerySet[Subject]) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(label=_("Disciplina"), queryset=queryset, error_messages=CHOICE)


class YearForm(forms.Form):
    name = forms.CharField(
        label=_("An școlar"), max_length=9, help_text=_("de exemplu 2026-2027"),
        validators=[RegexValidator(r"^[0-9]{4}-[0-9]{4}$", YEAR_NAME)],
    )  # fmt: skip
    starts = date_field(_("Început"))
    ends = date_field(_("Sfârșit"))
    structure = forms.ChoiceField(label=_("Structură"), choices=SchoolYear.Structure.choices, error_messages=CHOICE)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        first, second = (int(part) for part in name.split("-"))
        if second != first + 1 or not 1950 <= first < 2100:
            raise ValidationError(YEAR_NAME)
        return name

    def clean(self):
        data = super().clean()
        if not all(data.get(name) for name in ("name", "starts", "ends")):
            return data
        first, second = (int(part) for part in data["name"].split("-"))
        if (data["starts"].year, data["ends"].year) != (first, second):  # so it also starts before it ends
            self.add_error("ends", YEAR_SPAN.format(name=data["name"], first=first, second=second))
        return data


class PeriodForm(forms.Form):
    name = forms.CharField(
        label=_("Nume"), max_length=40, required=False, help_text=_("gol: numele obișnuit"), validators=[plain_text]
    )
    starts = date_field(_("Început"))
    ends = date_field(_("Sfârșit"))


class BasePeriodFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        if not any(form.cleaned_data for form in self.forms):
            raise ValidationError(NO_PERIODS)


# Blank rows are left out (every row may be blank), so a custom year can use fewer rows.
PeriodFormSet = forms.formset_factory(
    PeriodForm, formset=BasePeriodFormSet, extra=0, max_num=12, absolute_max=12, validate_max=True
)


def period_formset(data=None, *, initial=None, extra: int = 0) -> BasePeriodFormSet:
    rows = list(initial or []) + [{}] * extra
    return PeriodFormSet(data, initial=None if data else rows, prefix="periods", form_kwargs={"empty_permitted": True})


class NotifyAtField(forms.CharField):
    """Counts of unexcused absences at which parents are told: "10, 20, 40"."""

    def prepare_value(self, value):
        return ", ".join(str(n) for n in value) if isinstance(value, list) else value

    def to_python(self, value) -> list[int]:
        parts = [part for part in re.split(r"[,\s;]+", super().to_python(value)) if part]
        if not all(part.isascii() and part.isdigit() and 1 <= int(part) <= 1000 for part in parts):
            raise ValidationError(NOTIFY_AT)
        return sorted({int(part) for part in parts})


class RulesForm(forms.Form):
    """Every rule of the year's rule set, with its Romanian label; the changed ones make a new version."""

    def __init__(self, *args, rule_set: RuleSet, **kwargs):
        kwargs.setdefault("initial", {name: getattr(rule_set, name) for name in RULE_FIELDS})
        super().__init__(*args, **kwargs)
        self.rule_set = rule_set
        for name in RULE_FIELDS:
            self.fields[name] = self._field(RuleSet._meta.get_field(name))
        self.fields["note"] = forms.CharField(
            label=_("Motivul revizuirii"),
            max_length=200,
            error_messages={"required": REASON_REQUIRED},
            validators=[plain_text],
        )

    @staticmethod
    def _field(model_field) -> forms.Field:
        label = model_field.verbose_name.capitalize()
        if model_field.name == "notify_at":
            return NotifyAtField(label=label, required=False, max_length=200)
        if model_field.get_internal_type() == "BooleanField":
            return forms.BooleanField(label=label, required=False)
        if model_field.choices:
            return forms.ChoiceField(
                label=label, choices=model_field.choices, widget=forms.RadioSelect, error_messages=CHOICE
            )
        low, high = RULE_RANGES.get(model_field.name, (0, 1000))
        return number_field(label, low, high)

    def clean(self):
        data = super().clean()
        if not self.errors and not self.changes():
            raise ValidationError(NOTHING_CHANGED)
        return data

    def changes(self) -> dict:
        """The rules whose value differs from the rule set in use."""
        return {
            name: self.cleaned_data[name]
            for name in RULE_FIELDS
            if name in self.cleaned_data and self.cleaned_data[name] != getattr(self.rule_set, name)
        }


class SubjectForm(forms.Form):
    name = forms.CharField(label=_("Disciplina"), max_length=120, validators=[plain_text])
    short_name = forms.CharField(label=_("Prescurtare"), max_length=20, required=False, validators=[plain_text])
    kind = forms.ChoiceField(label=_("Tip"), choices=Subject.Kind.choices, error_messages=CHOICE)
    position = number_field(
        _("Ordinea în catalog"), 1, 999, initial=100,
        help_text=_("disciplinele apar în ordinea crescătoare a acestui număr"),
    )  # fmt: skip

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if Subject.objects.filter(name__iexact=name).exists():
            raise ValidationError(SUBJECT_TAKEN.format(name=name))
        return name


class ClassForm(forms.Form):
    level = forms.ChoiceField(label=_("Clasa"), choices=Level.choices, error_messages=CHOICE)
    letter = forms.CharField(label=_("Litera"), max_length=10, help_text=_("de exemplu A"), validators=[plain_text])
    technological = forms.BooleanField(label=_("Clasă tehnologică / profesională"), required=False)

    def __init__(self, *args, year: SchoolYear, **kwargs):
        super().__init__(*args, **kwargs)
        self.year = year
        self.fields["homeroom"] = teacher_field(_("Diriginte / învățător"), required=False)

    def clean(self):
        data = super().clean()
        if "level" in data and "letter" in data:
            school_class = SchoolClass(year=self.year, level=data["level"], letter=data["letter"].upper())
            if SchoolClass.objects.filter(year=self.year, level=data["level"], letter=school_class.letter).exists():
                raise ValidationError(CLASS_TAKEN.format(name=school_class, year=self.year.name))
        return data


class WhyForm(forms.Form):
    """What the director reads beside a change of rights."""

    why = forms.CharField(
        label=_("Motivul (îl vede directorul)"), max_length=500, required=False, validators=[plain_text]
    )


class HomeroomForm(WhyForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {"homeroom": teacher_field(_("Diriginte / învățător"), required=False), "why": self.fields["why"]}


class CurriculumForm(forms.Form):
    weekly_hours = number_field(_("Ore pe săptămână"), 1, 40)
    weeks = number_field(
        _("Săptămâni de cursuri"), 1, 52, initial=34, help_text=_("orele pe an = ore pe săptămână × săptămâni")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {"subject": subject_field(Subject.objects.all()), **self.fields}


GRANT_BOTH_DATES = _("Pentru o suplinire completați ambele date (de la, până la); pentru o încadrare, niciuna.")


class AssignmentForm(WhyForm):
    starts = date_field(_("Suplinire: de la"), required=False)
    ends = date_field(_("Suplinire: până la"), required=False)

    def __init__(self, *args, school_class: SchoolClass, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {
            "teacher": teacher_field(_("Profesor")), "subject": subject_field(curriculum_subjects(school_class)),
            "starts": self.fields["starts"], "ends": self.fields["ends"], "why": self.fields["why"],
        }  # fmt: skip
        self.fields["starts"].help_text = _("Doar pentru un drept temporar (suplinire); gol: încadrare.")

    def clean(self):
        data = super().clean()
        if (data.get("starts") is None) != (data.get("ends") is None):
            raise ValidationError(GRANT_BOTH_DATES, code="grant_dates")
        return data


def curriculum_subjects(school_class: SchoolClass) -> QuerySet[Subject]:
    """The subjects of the class's curriculum, in catalog order."""
    return Subject.objects.filter(pk__in=school_class.curriculum.values("subject_id"))


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Motivul"), max_length=500, error_messages={"required": REASON_REQUIRED}, validators=[plain_text]
    )


class StudentForm(forms.Form):
    last_name = forms.CharField(label=_("Nume"), max_length=150)
    first_name = forms.CharField(label=_("Prenume"), max_length=150)
    cnp = forms.CharField(label=_("CNP"), max_length=20)
    email = forms.EmailField(label=_("E-mail (opțional)"), required=False)
    starts = date_field(_("Înscris din (gol: azi)"), required=False)
    entry = forms.ChoiceField(
        label=_("Cum vine"), error_messages=CHOICE,
        choices=[(e.value, e.label) for e in (Enrolment.Entry.START, Enrolment.Entry.TRANSFER_IN)],
    )  # fmt: skip
    register_number = number_field(
        _("Număr matricol (doar dintr-un registru preluat)"), 1, 10_000_000, required=False,
        help_text=_("gol: următorul număr al ciclului"),
    )  # fmt: skip

    def clean_cnp(self) -> str:
        return cnp_validate(self.cleaned_data["cnp"]).value


class LeaveForm(forms.Form):
    ends = date_field(_("Ultima zi în clasă"))
    exit = forms.ChoiceField(
        label=_("Motivul plecării"), error_messages=CHOICE,
        choices=[(e.value, e.label) for e in (Enrolment.Exit.TRANSFER_OUT, Enrolment.Exit.WITHDRAWN)],
    )  # fmt: skip
    note = forms.CharField(label=_("Mențiuni"), max_length=200, required=False, validators=[plain_text])


class MoveForm(forms.Form):
    to_class = forms.ModelChoiceField(label=_("Clasa nouă"), queryset=None, empty_label=None, error_messages=CHOICE)
    on = date_field(_("Prima zi în clasa nouă"))
    note = forms.CharField(label=_("Mențiuni"), max_length=200, required=False, validators=[plain_text])

    def __init__(self, *args, school_class: SchoolClass, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_class"].queryset = SchoolClass.objects.filter(
            year=school_class.year_id, level=school_class.level
        ).exclude(pk=school_class.pk)


class ExemptionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Tipul"), choices=Exemption.Kind.choices, error_messages=CHOICE)
    document = forms.CharField(label=_("Documentul (număr)"), max_length=60, required=False, validators=[plain_text])
    document_date = date_field(_("Data documentului"), required=False)

    def __init__(self, *args, school_class: SchoolClass, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {"subject": subject_field(curriculum_subjects(school_class)), **self.fields}


class HolidayForm(forms.Form):
    name = forms.CharField(
        label=_("Numele vacanței"), max_length=80, validators=[plain_text],
        error_messages={"required": _("Scrieți numele vacanței."), "max_length": _("Cel mult 80 de caractere.")},
    )  # fmt: skip
    starts = date_field(_("Din"))
    ends = date_field(_("Până la"))


class PeriodEndForm(forms.Form):
    """A level whose period ends on another day (VIII and XII finish earlier)."""

    period = forms.ModelChoiceField(label=_("Perioada"), queryset=None, empty_label=None, error_messages=CHOICE)
    level = forms.ChoiceField(label=_("Clasa"), choices=Level.choices, error_messages=CHOICE)
    technological = forms.BooleanField(label=_("Doar clasele tehnologice / profesionale"), required=False)
    ends = date_field(_("Ultima zi de cursuri"))

    def __init__(self, *args, year: SchoolYear, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].queryset = year.periods.all()


class BellForm(forms.Form):
    """The bell: for each class hour its start and end (empty: no such hour)."""

    HOURS = range(1, 15)

    def __init__(self, *args, hours=(), **kwargs):
        super().__init__(*args, **kwargs)
        known = {h.number: h for h in hours}
        for number in self.HOURS:
            for edge, label in (("starts", _("începe")), ("ends", _("se termină"))):
                self.fields[f"{edge}_{number}"] = forms.TimeField(
                    label=f"{_('Ora')} {number}: {label}", required=False, input_formats=["%H:%M"],
                    initial=getattr(known.get(number), edge, None),
                    widget=forms.TimeInput(attrs={"type": "time", "aria-label": f"{_('Ora')} {number}: {label}"},
                                           format="%H:%M"),
                    error_messages={"invalid": _("Scrieți ora ca HH:MM.")},
                )  # fmt: skip

    def rows(self):
        return [(n, self[f"starts_{n}"], self[f"ends_{n}"]) for n in self.HOURS]

    def clean(self):
        data = super().clean()
        hours = {}
        for number in self.HOURS:
            starts, ends = data.get(f"starts_{number}"), data.get(f"ends_{number}")
            if bool(starts) != bool(ends):
                raise ValidationError(_("Ora %(n)s are nevoie și de început, și de sfârșit.") % {"n": number})
            if starts:
                hours[number] = (starts, ends)
        data["hours"] = hours
        return data


class TimetableForm(forms.Form):
    """A class's week: for each weekday and hour the subject taught then (or none)."""

    def __init__(self, *args, subjects=(), slots=(), hours: int = 8, **kwargs):
        super().__init__(*args, **kwargs)
        from catalog.structure.services import WEEKDAYS

        self.subjects = {str(s.pk): s for s in subjects}
        choices = [("", "—"), *((str(s.pk), s.name) for s in subjects)]
        known = {(s.weekday, s.hour): str(s.subject_id) for s in slots}
        self.hours = range(1, hours + 1)
        self.days = list(WEEKDAYS.items())
        for weekday, day in self.days:
            for hour in self.hours:
                self.fields[f"z{weekday}o{hour}"] = forms.ChoiceField(
                    label=f"{day}, {_('ora')} {hour}", choices=choices, required=False,
                    initial=known.get((weekday, hour), ""),
                    widget=forms.Select(attrs={"aria-label": f"{day}, {_('ora')} {hour}"}),
                    error_messages={"invalid_choice": _("Alegeți o disciplină din planul clasei.")},
                )  # fmt: skip

    def grid(self):
        return [(day, [self[f"z{weekday}o{hour}"] for hour in self.hours]) for weekday, day in self.days]

    def slots(self) -> dict:
        return {
            (weekday, hour): self.subjects.get(self.cleaned_data[f"z{weekday}o{hour}"])
            for weekday, _day in self.days for hour in self.hours
        }  # fmt: skip
