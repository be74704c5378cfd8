"""The audit trail in words for people: an event's values as "label: value" in Romanian
(not a Python dict), the actor's roles by their names (read from the user model's choices:
audit never imports accounts)."""

import datetime as dt
from functools import cache

from django import template
from django.apps import apps
from django.conf import settings
from django.utils.translation import gettext_lazy as _

register = template.Library()

# What the catalog, accounts and the platform record under each key, for people.
LABELS = {
    "value": _("nota"),
    "calificativ": _("calificativul"),
    "on": _("data"),
    "hour": _("ora"),
    "kind": _("tipul"),
    "subject": _("disciplina"),
    "class": _("clasa"),
    "module": _("modulul"),
    "period": _("perioada"),
    "starts": _("de la"),
    "ends": _("până la"),
    "reason": _("motivul"),
    "document": _("documentul"),
    "document_date": _("data documentului"),
    "absences": _("absențe"),
    "excused": _("motivată"),
    "name": _("numele"),
    "first_name": _("prenumele"),
    "last_name": _("numele de familie"),
    "email": _("e-mail"),
    "roles": _("rolurile"),
    "is_active": _("activ"),
    "username": _("utilizatorul"),
    "status": _("starea"),
    "year": _("anul școlar"),
    "number": _("numărul"),
    "code": _("codul"),
    "version": _("versiunea"),
    "weekly_hours": _("ore pe săptămână"),
    "teacher": _("profesorul"),
    "student": _("elevul"),
    "threshold": _("pragul"),
    "unexcused": _("nemotivate"),
    "grades": _("note"),
    "text": _("textul"),
    "approved_by": _("aprobat de"),
    "special_case": _("caz special"),
    "method": _("metoda"),
    "files": _("fișiere"),
    "signed_off_with": _("semnat cu"),
    "purpose": _("scopul"),
    "slots": _("orele"),
}


@cache
def _role_names() -> dict[str, str]:
    field = apps.get_model(settings.AUTH_USER_MODEL)._meta.get_field("roles")
    return {str(code): str(label) for code, label in getattr(field, "base_field", field).choices or ()}


def _shown(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("da") if value else _("nu"))
    if isinstance(value, list | tuple):
        return ", ".join(_shown(item) for item in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_shown(item)}" for key, item in value.items())
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return f"{dt.date.fromisoformat(value):%d.%m.%Y}"
        except ValueError:
            return value
    return str(value)


@register.filter
def audit_values(values) -> list[tuple[str, str]]:
    """An event's old or new values as (label, value) pairs, in the order they were recorded."""
    if not isinstance(values, dict):
        return [("", _shown(values))] if values else []
    pairs = []
    for key, value in values.items():
        if key == "roles" and isinstance(value, list):
            value = [_role_names().get(role, role) for role in value]
        pairs.append((str(LABELS.get(key, key.replace("_", " "))), _shown(value)))
    return pairs


@register.filter
def role_names(codes: str) -> str:
    """ "teacher,homeroom" -> "Profesor, Diriginte / învățător"."""
    return ", ".join(_role_names().get(code, code) for code in (codes or "").split(",") if code)
