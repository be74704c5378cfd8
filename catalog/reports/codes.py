"""Verification codes printed on documents: 12 characters of Crockford's base32 (no I, L, O,
U: nothing to misread), 40 random bits and a 20-bit tag of them keyed by the deployment's
secret and the school. A typo or a made-up code fails its tag ("cod fals sau greșit") before
any lookup; a well-formed code that names nothing was never issued here."""

import hmac
import re
import secrets

from django.db import connection
from django.utils.crypto import salted_hmac

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_SHAPE = re.compile(rf"^[{ALPHABET}]{{12}}$")


def _encode(number: int, length: int) -> str:
    return "".join(ALPHABET[(number >> (5 * i)) & 31] for i in reversed(range(length)))


def _tag(body: str) -> str:
    digest = salted_hmac("catedra.reports.code", f"{connection.schema_name}:{body}").digest()
    return _encode(int.from_bytes(digest[:3], "big") >> 4, 4)


def code_new() -> str:
    body = _encode(secrets.randbits(40), 8)
    return body + _tag(body)


def code_clean(text: str) -> str | None:
    """The code as stored, from what a person typed or a QR code carried (dashes, spaces and
    case do not matter; O is read as 0, I and L as 1); None if it is not one of ours."""
    cleaned = (text or "")[:40].upper().replace("-", "").replace(" ", "")
    cleaned = cleaned.translate(str.maketrans("OIL", "011"))
    if not _SHAPE.match(cleaned) or not hmac.compare_digest(_tag(cleaned[:8]), cleaned[8:]):
        return None
    return cleaned


def code_shown(code: str) -> str:
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"
