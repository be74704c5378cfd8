"""Client-side encryption of backup files: AES-256-GCM, streamed file to file.

An encrypted file is MAGIC, a 12-byte nonce, the ciphertext and the 16-byte GCM tag.
The associated data names the backup (its school schema and id), so an object moved to
another school's place or renamed does not decrypt. Nothing is trusted before the tag
verifies: decryption writes to a file that callers use only when it returns.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings

from catedra.keys import backup_key_bytes

MAGIC = b"CATEDRA-BK1\n"
NONCE_BYTES = 12
TAG_BYTES = 16
CHUNK = 1024 * 1024


class DecryptionError(Exception):
    pass


def key() -> bytes:
    return backup_key_bytes(settings.BACKUP_ENCRYPTION_KEY)


def key_fingerprint(raw: bytes | None = None) -> str:
    """Which key encrypted a backup (not the key: a hash of it, shortened)."""
    return hashlib.sha256(b"catedra-backup-key:" + (raw or key())).hexdigest()[:16]


def encrypt_file(source: Path, target: Path, *, associated: bytes, raw_key: bytes | None = None) -> None:
    nonce = os.urandom(NONCE_BYTES)
    encryptor = Cipher(algorithms.AES(raw_key or key()), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(associated)
    with open(source, "rb") as plain, open(target, "wb") as out:
        out.write(MAGIC + nonce)
        while chunk := plain.read(CHUNK):
            out.write(encryptor.update(chunk))
        out.write(encryptor.finalize())
        out.write(encryptor.tag)


def decrypt_file(source: Path, target: Path, *, associated: bytes, raw_key: bytes | None = None) -> None:
    """Decrypt `source` into `target`; DecryptionError (and no target) if anything is off."""
    size = source.stat().st_size
    header = len(MAGIC) + NONCE_BYTES
    if size < header + TAG_BYTES:
        raise DecryptionError("the object is too short to be a Catedra backup")
    with open(source, "rb") as sealed:
        if sealed.read(len(MAGIC)) != MAGIC:
            raise DecryptionError("the object is not a Catedra backup (unknown header)")
        nonce = sealed.read(NONCE_BYTES)
        sealed.seek(size - TAG_BYTES)
        tag = sealed.read(TAG_BYTES)
        sealed.seek(header)
        decryptor = Cipher(algorithms.AES(raw_key or key()), modes.GCM(nonce, tag)).decryptor()
        decryptor.authenticate_additional_data(associated)
        remaining = size - header - TAG_BYTES
        try:
            with open(target, "wb") as out:
                while remaining > 0:
                    chunk = sealed.read(min(CHUNK, remaining))
                    remaining -= len(chunk)
                    out.write(decryptor.update(chunk))
                decryptor.finalize()
        except InvalidTag as exc:
            target.unlink(missing_ok=True)
            raise DecryptionError("the object does not decrypt with this key (altered, or another key)") from exc


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
