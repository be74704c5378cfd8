"""The Romanian personal numeric code (CNP): S AA LL ZZ JJ NNN C. Messages are Romanian: people read them."""

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# [0-9], not \d: \d also matches other scripts' digits, such as "١".
_CNP_RE = re.compile(r"[0-9]{13}")
# A digit of another script ("٣", "３") is a digit to the eye and to str.isdecimal(), not in a CNP.
OTHER_DIGITS = _("CNP-ul are cifre din alt alfabet: scrieți-l numai cu cifrele 0–9.")
_WEIGHTS = (2, 7, 9, 1, 4, 6, 3, 5, 8, 2, 7, 9)
# The county part (JJ) is not checked against a list (DOMAIN rule 18): 01–52 the counties and
# Bucharest's sectors (47 and 48 its former sectors 7 and 8), and 70 in every CNP issued since
# May 2024, whatever the county; a list would refuse the next code the registry adopts. The
# check digit guards against a mistyped county as it does against any other mistyped digit.
_CENTURIES = {"1": 1900, "2": 1900, "3": 1800, "4": 1800, "5": 2000, "6": 2000}
_RESIDENTS = frozenset({"7", "8"})
_FOREIGNERS = "9"
_ROMANIA = ZoneInfo("Europe/Bucharest")


@dataclass(frozen=True)
class CnpInfo:
    """What a valid CNP says about its holder."""

    value: str
    sex: str | None
    birth_date: date | None
    county: str


def _invalid_date() -> ValidationError:
    """Return the error for a birth date that does not exist."""
    return ValidationError(_("Data nașterii din CNP nu este validă."), code="cnp_birth_date")


def _date_or_none(year: int, month: int, day: int) -> date | None:
    """Return the date, or None when the calendar has no such day."""
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _birth_date(first: str, yymmdd: str, today: date) -> date | None:
    """Return the birth date encoded in the CNP (None for foreigners), or raise ValidationError."""
    year, month, day = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    if first == _FOREIGNERS:
        # S=9 encodes no century: the day only has to exist in the 1900s or the 2000s.
        if _date_or_none(1900 + year, month, day) is None and _date_or_none(2000 + year, month, day) is None:
            raise _invalid_date()
        return None
    if first in _RESIDENTS:
        # S=7/8 (foreign residents) encodes no century either: the 2000s unless that puts the birth in the future.
        born = _date_or_none(2000 + year, month, day)
        if born is None or born > today:
            born = _date_or_none(1900 + year, month, day)
    else:
        born = _date_or_none(_CENTURIES[first] + year, month, day)
    if born is None:
        raise _invalid_date()
    if born > today:
        raise ValidationError(_("Data nașterii din CNP este în viitor."), code="cnp_birth_date_future")
    return born


def cnp_check_digit(first_twelve: str) -> int:
    """Return the check digit of a CNP's first twelve digits."""
    remainder = sum(int(digit) * weight for digit, weight in zip(first_twelve, _WEIGHTS, strict=True)) % 11
    return 1 if remainder == 10 else remainder


def _sex(first: str) -> str | None:
    """Return "M" or "F" from the CNP's first digit, or None for foreigners (S=9)."""
    if first == _FOREIGNERS:
        return None
    return "M" if int(first) % 2 else "F"


def cnp_validate(value: str, *, today: date | None = None) -> CnpInfo:
    """Return what the CNP `value` says about its holder, or raise ValidationError saying what is wrong."""
    cnp = value.strip() if isinstance(value, str) else ""
    if not _CNP_RE.fullmatch(cnp):
        if any(character.isdecimal() and not character.isascii() for character in cnp):
            raise ValidationError(OTHER_DIGITS, code="cnp_format")
        raise ValidationError(_("CNP-ul trebuie să aibă exact 13 cifre."), code="cnp_format")
    first, yymmdd, county, serial = cnp[0], cnp[1:7], cnp[7:9], cnp[9:12]
    if first == "0":
        raise ValidationError(_("Prima cifră a CNP-ului nu este validă."), code="cnp_sex")
    # Schools are in Romania: "today" is Bucharest's date, not the server's.
    birth_date = _birth_date(first, yymmdd, today or datetime.now(_ROMANIA).date())
    if serial == "000":
        raise ValidationError(_("Numărul de ordine din CNP nu este valid."), code="cnp_serial")
    if cnp_check_digit(cnp[:12]) != int(cnp[12]):
        raise ValidationError(_("Cifra de control a CNP-ului nu este corectă."), code="cnp_check_digit")
    return CnpInfo(value=cnp, sex=_sex(first), birth_date=birth_date, county=county)
