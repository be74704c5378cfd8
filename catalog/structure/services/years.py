"""School years: their periods, rule sets, period ends and holidays; who configures them
and the lock of a closed year."""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Role
from accounts.services import NotAllowed
from audit.actions import Action
from audit.services import audit_record
from catalog.structure.models import (
    Holiday,
    LearningPeriod,
    Level,
    PeriodEnd,
    RuleSet,
    SchoolYear,
)

CONFIGURERS = (Role.SCHOOL_ADMIN, Role.DIRECTOR, Role.DEPUTY)


YEAR_CLOSED = _("Anul școlar {year} este încheiat: nu se mai pot face modificări.")


NOT_CONFIGURER = _("Doar secretariatul și conducerea școlii configurează anul școlar.")


PERIOD_NAMES = {
    SchoolYear.Structure.MODULES: "Modulul {n}",
    SchoolYear.Structure.SEMESTERS: "Semestrul {n}",
    SchoolYear.Structure.TRIMESTERS: "Trimestrul {n}",
    SchoolYear.Structure.CUSTOM: "Perioada {n}",
}


PERIOD_COUNTS = {SchoolYear.Structure.MODULES: 5, SchoolYear.Structure.SEMESTERS: 2, SchoolYear.Structure.TRIMESTERS: 3}


@dataclass(frozen=True)
class PeriodSpec:
    starts: date
    ends: date
    name: str = ""


def require_configurer(actor: User) -> None:
    if not (actor.is_active and actor.has_role(*CONFIGURERS)):
        raise NotAllowed(NOT_CONFIGURER)


def require_open(year: SchoolYear) -> None:
    """Refuse a write into a closed year (rule 12), as the database says now (one query): a
    page that read the year before the director closed or reopened it acts on the year as it is."""
    if year.pk is not None:
        year.closed_at = SchoolYear.objects.filter(pk=year.pk).values_list("closed_at", flat=True).first()
    if year.is_closed:
        raise ValidationError(YEAR_CLOSED.format(year=year.name), code="year_closed")


def periods_even(*, structure: str, starts: date, ends: date) -> list[PeriodSpec]:
    """`structure`'s periods splitting [starts, ends] into equal parts (a starting point to edit)."""
    count = PERIOD_COUNTS.get(structure, 1)
    span = (ends - starts).days + 1
    firsts = [starts + timedelta(days=span * i // count) for i in range(count)]
    lasts = [first - timedelta(days=1) for first in firsts[1:]] + [ends]  # never a day past `ends`
    return [PeriodSpec(first, last) for first, last in zip(firsts, lasts, strict=True)]


def _periods_validate(starts: date, ends: date, periods: list[PeriodSpec]) -> None:
    if not periods:
        raise ValidationError(_("Anul școlar are nevoie de cel puțin o perioadă de cursuri."), code="no_periods")
    previous_end = None
    for number, period in enumerate(periods, start=1):
        if period.starts > period.ends:
            raise ValidationError(_("Perioada {n} se termină înainte să înceapă.").format(n=number), code="period")
        if period.starts < starts or period.ends > ends:
            raise ValidationError(_("Perioada {n} iese din anul școlar.").format(n=number), code="period")
        if previous_end is not None and period.starts <= previous_end:
            raise ValidationError(_("Perioada {n} se suprapune cu cea dinainte.").format(n=number), code="period")
        previous_end = period.ends


YEAR_NAME = _("Anul școlar se scrie ca 2026-2027: anul în care începe și anul în care se termină.")


def _year_name_check(name: str, starts: date, ends: date) -> None:
    """ "2026-2027": two years in a row, the first when the year starts and the second when it ends."""
    match = re.fullmatch(r"(\d{4})-(\d{4})", name or "")
    if not match or (int(match[1]), int(match[2])) != (starts.year, starts.year + 1) or ends.year != starts.year + 1:
        raise ValidationError(YEAR_NAME, code="name")


def year_create(
    *, actor: User, name: str, starts: date, ends: date, structure: str, periods: list[PeriodSpec] | None = None
) -> SchoolYear:
    """A new school year with its periods, on the newest rule set."""
    require_configurer(actor)
    if structure not in SchoolYear.Structure.values:
        raise ValidationError(_("Structura anului școlar nu este validă."), code="structure")
    if starts >= ends:
        raise ValidationError(_("Anul școlar trebuie să înceapă înainte să se termine."), code="dates")
    _year_name_check(name, starts, ends)
    if SchoolYear.objects.filter(name=name).exists():
        raise ValidationError(_("Anul școlar {name} există deja.").format(name=name), code="duplicate")
    if periods is None:
        periods = periods_even(structure=structure, starts=starts, ends=ends)
    _periods_validate(starts, ends, periods)
    with transaction.atomic():
        year = SchoolYear.objects.create(
            name=name, starts=starts, ends=ends, structure=structure,
            rule_set=RuleSet.objects.order_by("-version").first(), legacy=starts.year < 2022,
        )  # fmt: skip
        LearningPeriod.objects.bulk_create(
            LearningPeriod(
                year=year, number=n, name=p.name or PERIOD_NAMES[structure].format(n=n), starts=p.starts, ends=p.ends
            )
            for n, p in enumerate(periods, start=1)
        )
        audit_record(
            action=Action.YEAR_CREATED, actor=actor, obj=year,
            new={"name": name, "starts": starts, "ends": ends, "structure": structure, "periods": len(periods)},
        )  # fmt: skip
    return year


RULE_FIELDS = tuple(
    f.name for f in RuleSet._meta.concrete_fields if f.name not in {"id", "version", "created_at", "note"}
)


def rules_revise(*, actor: User, year: SchoolYear, note: str = "", **changes) -> RuleSet:
    """A new rule-set version for `year` with `changes`; earlier years keep theirs."""
    require_configurer(actor)
    require_open(year)
    unknown = set(changes) - set(RULE_FIELDS)
    if unknown:
        raise ValidationError(_("Reguli necunoscute: {names}.").format(names=", ".join(sorted(unknown))))
    notify_at = changes.get("notify_at", [])
    if not isinstance(notify_at, list) or any(type(n) is not int or not 1 <= n <= 1000 for n in notify_at):
        raise ValidationError(_("Pragurile de anunțare sunt numere întregi de la 1 la 1000."), code="notify_at")
    current = year.rule_set
    values = {name: getattr(current, name) for name in RULE_FIELDS} | changes
    with transaction.atomic():
        RuleSet.objects.select_for_update().order_by("-version").first()  # one new version at a time
        version = RuleSet.objects.order_by("-version").values_list("version", flat=True).first() + 1
        rule_set = RuleSet(version=version, note=note[:200], **values)
        rule_set.full_clean()
        rule_set.save()
        year.rule_set = rule_set
        year.save(update_fields=["rule_set"])
        old = {name: getattr(current, name) for name in changes}
        audit_record(action=Action.YEAR_RULES_REVISED, actor=actor, obj=year, old=old, new=changes, reason=note)
    return rule_set


def period_end_set(
    *, actor: User, period: LearningPeriod, level: str, ends: date, technological: bool = False
) -> PeriodEnd:
    """`period` ends on `ends` for the classes of `level` (only its technological classes when
    `technological`): the last year of a cycle finishes earlier (VIII, XII)."""
    require_configurer(actor)
    require_open(period.year)
    if level not in Level.values:
        raise ValidationError(_("Nivelul clasei nu este valid."), code="level")
    if not (isinstance(ends, date) and period.starts <= ends <= period.year.ends):
        raise ValidationError(_("Sfârșitul trebuie să fie după începutul perioadei și în anul școlar."), code="dates")
    with transaction.atomic():
        variation, _created = PeriodEnd.objects.update_or_create(
            period=period, level=level, technological=technological, defaults={"ends": ends}
        )
        audit_record(
            action=Action.YEAR_PERIOD_END_SET, actor=actor, obj=variation,
            new={"period": period.name, "level": level, "technological": technological, "ends": ends},
        )  # fmt: skip
    return variation


def period_end_remove(*, actor: User, variation: PeriodEnd) -> None:
    """The level's period ends with everybody's again."""
    require_configurer(actor)
    require_open(variation.period.year)
    with transaction.atomic():
        audit_record(
            action=Action.YEAR_PERIOD_END_REMOVED, actor=actor, obj=variation,
            old={"period": variation.period.name, "level": variation.level, "technological": variation.technological,
                 "ends": variation.ends},
        )  # fmt: skip
        variation.delete()


HOLIDAY_NAME = _("Scrieți numele vacanței (cel mult 80 de caractere).")


HOLIDAY_DATES = _("Vacanța trebuie să fie în anul școlar {year} și să înceapă înainte să se termine.")


HOLIDAY_OVERLAP = _("Se suprapune cu {name} ({starts:%d.%m.%Y} – {ends:%d.%m.%Y}).")


def holiday_add(*, actor: User, year: SchoolYear, name: str, starts: date, ends: date) -> Holiday:
    """A holiday of the year: no class hours, so no grade or absence is dated in it."""
    require_configurer(actor)
    require_open(year)
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise ValidationError(HOLIDAY_NAME, code="name")
    if not (isinstance(starts, date) and isinstance(ends, date) and year.starts <= starts <= ends <= year.ends):
        raise ValidationError(HOLIDAY_DATES.format(year=year.name), code="dates")
    with transaction.atomic():
        overlap = Holiday.objects.select_for_update().filter(year=year, starts__lte=ends, ends__gte=starts).first()
        if overlap is not None:
            message = HOLIDAY_OVERLAP.format(name=overlap.name, starts=overlap.starts, ends=overlap.ends)
            raise ValidationError(message, code="overlap")
        holiday = Holiday.objects.create(year=year, name=name, starts=starts, ends=ends)
        audit_record(
            action=Action.HOLIDAY_ADDED, actor=actor, obj=holiday, new={"name": name, "starts": starts, "ends": ends}
        )
    return holiday


def holiday_remove(*, actor: User, holiday: Holiday) -> None:
    require_configurer(actor)
    require_open(holiday.year)
    with transaction.atomic():
        audit_record(
            action=Action.HOLIDAY_REMOVED, actor=actor, obj=holiday,
            old={"name": holiday.name, "starts": holiday.starts, "ends": holiday.ends},
        )  # fmt: skip
        holiday.delete()
