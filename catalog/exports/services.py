"""Exporting a school year for SIIIR (DOMAIN rule 21): who may, for which interval, in which
format; every export is audited (it carries every student's personal data)."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.services import NotAllowed
from audit.actions import Action
from audit.services import audit_record
from catalog.exports.formats import EXPORTERS, Exporter, ExportFile
from catalog.exports.siiir import siiir_dataset
from catalog.structure.identity import SchoolIdentity
from catalog.structure.models import SchoolYear
from catalog.structure.services import CONFIGURERS

NOT_EXPORTER = _("Doar secretariatul și conducerea școlii exportă datele pentru SIIIR.")
UNKNOWN_FORMAT = _("Formatul „{code}” nu există; alegeți unul dintre: {codes}.")
OUTSIDE_YEAR = _("Intervalul trebuie să fie în anul școlar {year} ({starts:%d.%m.%Y} – {ends:%d.%m.%Y}).")
REVERSED = _("Data de început a intervalului este după data de sfârșit.")


def exporter_for(code: str) -> Exporter:
    exporter = EXPORTERS.get(code)
    if exporter is None:
        raise ValidationError(UNKNOWN_FORMAT.format(code=code, codes=", ".join(sorted(EXPORTERS))), code="format")
    return exporter


def interval_check(year: SchoolYear, since: date | None, until: date | None) -> None:
    for day in (since, until):
        if day is not None and not year.starts <= day <= year.ends:
            message = OUTSIDE_YEAR.format(year=year.name, starts=year.starts, ends=year.ends)
            raise ValidationError(message, code="outside_year")
    if since is not None and until is not None and since > until:
        raise ValidationError(REVERSED, code="reversed")


def siiir_export(
    *,
    actor: User,
    school: SchoolIdentity,
    year: SchoolYear,
    code: str,
    since: date | None = None,
    until: date | None = None,
) -> ExportFile:
    """The year's catalog for SIIIR as a file in the format `code` (see EXPORTERS), limited
    to grades and absences dated in [since, until] when given. Recorded in the audit trail
    with what it holds and the file's SHA-256."""
    if not (actor.is_active and actor.has_role(*CONFIGURERS)):
        raise NotAllowed(NOT_EXPORTER)
    exporter = exporter_for(code)
    interval_check(year, since, until)
    dataset = siiir_dataset(school=school, year=year, since=since, until=until)
    exported = exporter.render(dataset)
    with transaction.atomic():
        audit_record(
            action=Action.SIIIR_EXPORTED, actor=actor, obj=year,
            new={"format": code, "since": since, "until": until, "rows": dataset.counts(),
                 "file": exported.filename, "sha256": exported.sha256},
        )  # fmt: skip
    return exported
