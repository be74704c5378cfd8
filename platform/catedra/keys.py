"""Checks of key material read by settings (no Django imports: settings import this)."""

import base64
import binascii


def backup_key_bytes(value: str) -> bytes:
    """The 32-byte AES key in `value` (URL-safe base64); ValueError otherwise."""
    try:
        key = base64.urlsafe_b64decode(value.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError("not URL-safe base64") from exc
    if len(key) != 32:
        raise ValueError("not 32 bytes")
    return key


def backup_key_valid(value: str) -> bool:
    try:
        backup_key_bytes(value)
    except ValueError:
        return False
    return True
