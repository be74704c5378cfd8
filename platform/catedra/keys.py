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


def _unpadded(value: str) -> bytes:
    return base64.urlsafe_b64decode(value.encode("ascii") + b"=" * (-len(value) % 4))


def vapid_pair_valid(private: str, public: str) -> bool:
    """Whether `private` (32 bytes) and `public` (the uncompressed P-256 point) are one VAPID
    key pair, both in URL-safe base64 (padding optional)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    try:
        secret = int.from_bytes(_unpadded(private), "big")
        key = ec.derive_private_key(secret, ec.SECP256R1())
        point = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return len(_unpadded(private)) == 32 and point == _unpadded(public)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return False


def vapid_pair_new() -> tuple[str, str]:
    """A new VAPID key pair: (private, public), URL-safe base64 without padding."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return tuple(base64.urlsafe_b64encode(part).rstrip(b"=").decode() for part in (private, public))
