"""Identifiers a school is onboarded with. Messages are Romanian: people read them."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# ANAF's control key for the CUI / CIF (cod unic de înregistrare).
_CUI_KEY = "753217532"
# [0-9], not \d: \d also matches other scripts' digits ("٣", "３"), which int() reads as if they were ours.
_CUI_RE = re.compile(r"(?:RO)?([0-9]{2,10})")
_SIIIR_RE = re.compile(r"[0-9]{10}")


def _other_digits(value: str) -> bool:
    """Return whether `value` has a digit of another script than 0-9."""
    return any(character.isdecimal() and not character.isascii() for character in value)


def cui_normalize(value: str) -> str:
    """A CUI as digits only: spaces and an `RO` prefix (VAT payers) are dropped."""
    return re.sub(r"\s+", "", value or "").upper().removeprefix("RO")


def cui_validate(value: str) -> None:
    """Raise ValidationError unless `value` is a CUI whose check digit is right."""
    digits = cui_normalize(value)
    if _other_digits(digits):
        raise ValidationError(
            _("Codul fiscal (CUI) are cifre din alt alfabet: scrieți-l numai cu cifrele 0–9."), code="cui_format"
        )
    if not _CUI_RE.fullmatch(digits):
        raise ValidationError(_("Codul fiscal (CUI) are între 2 și 10 cifre."), code="cui_format")
    body, check = digits[:-1].zfill(9), int(digits[-1])
    total = sum(int(digit) * int(weight) for digit, weight in zip(body, _CUI_KEY, strict=True))
    if (total * 10) % 11 % 10 != check:
        raise ValidationError(_("Codul fiscal (CUI) nu este valid: cifra de control nu corespunde."), code="cui_check")


def siiir_validate(value: str) -> None:
    if _other_digits(value or ""):
        raise ValidationError(
            _("Codul SIIIR are cifre din alt alfabet: scrieți-l numai cu cifrele 0–9."), code="siiir_format"
        )
    if not _SIIIR_RE.fullmatch(value or ""):
        raise ValidationError(_("Codul SIIIR al unității are exact 10 cifre."), code="siiir_format")
