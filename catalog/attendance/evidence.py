"""The photo of a medical note that a parent sends from the phone (rule 15). Health data about a
child: it is re-encoded before it is kept (what the camera wrote beside the picture, such as the
place it was taken, is dropped; a file that only claims to be a picture is refused), kept in the
school's object-store area, shown only to the family and the class's homeroom teacher and the
director, and deleted KEPT_AFTER_YEAR days after the school year ends."""

from __future__ import annotations

import io
import secrets
import warnings
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

from catalog.attendance.models import ParentRequest
from catedra.objectstore import StorageError, backup_storage, school_area

MAX_BYTES = 15 * 1024 * 1024  # a phone's full-resolution photo, with room to spare
MAX_PIXELS = 50_000_000  # more than any phone camera; beyond it a file is a decompression bomb
LONG_SIDE = 2400  # kept at this size: a printed note stays readable
FORMATS = ("JPEG", "PNG", "WEBP")  # what phones' browsers upload (a multi-picture JPEG opens as JPEG)
KEPT_AFTER_YEAR = timedelta(days=30)

PHOTO_MISSING = _("Atașați fotografia documentului medical.")
PHOTO_TOO_LARGE = _("Fotografia este prea mare (cel mult 15 MB).")
PHOTO_INVALID = _("Fișierul nu este o fotografie (JPEG, PNG sau WebP) care poate fi citită.")
PHOTO_NOT_STORED = _("Fotografia nu a putut fi păstrată acum. Încercați din nou peste câteva minute.")


def photo_clean(upload) -> bytes:
    """The upload as a JPEG of at most LONG_SIDE pixels, turned upright, without metadata;
    ValidationError (in Romanian) for anything that is not a readable photo."""
    if upload is None or not getattr(upload, "size", 0):
        raise ValidationError(PHOTO_MISSING, code="photo")
    if upload.size > MAX_BYTES:
        raise ValidationError(PHOTO_TOO_LARGE, code="photo")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            upload.seek(0)
            with Image.open(upload, formats=FORMATS) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise ValidationError(PHOTO_INVALID, code="photo")
                image.load()
                picture = ImageOps.exif_transpose(image).convert("RGB")
        picture.thumbnail((LONG_SIDE, LONG_SIDE))
        out = io.BytesIO()
        picture.save(out, "JPEG", quality=85, optimize=True)  # no exif= given: none is written
    except ValidationError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError,
            ValueError, SyntaxError, EOFError) as exc:  # fmt: skip
        raise ValidationError(PHOTO_INVALID, code="photo") from exc
    return out.getvalue()


def photo_store(request: ParentRequest, picture: bytes) -> None:
    """Keep the cleaned photo under a key nobody can guess and record it on the request (inside
    the caller's transaction: a request is never saved pointing at a photo that is not there)."""
    key = f"{school_area(connection.schema_name)}requests/{request.pk}-{secrets.token_hex(8)}.jpg"
    try:
        backup_storage().put_new(key, picture)
    except StorageError as exc:
        raise ValidationError(PHOTO_NOT_STORED, code="storage") from exc
    request.photo = key
    request.save(update_fields=["photo"])


def photo_read(request: ParentRequest) -> bytes | None:
    """The photo's bytes, or None when it was deleted (or the store cannot give it now)."""
    if not request.photo:
        return None
    try:
        return backup_storage().get(request.photo)
    except StorageError:
        return None


def photos_expire(*, today: date) -> int:
    """Delete the photos of the requests whose school year ended more than KEPT_AFTER_YEAR ago
    (the excusal keeps the document's number and date); how many were deleted."""
    done = 0
    storage = backup_storage()
    old = ParentRequest.objects.exclude(photo="").filter(school_class__year__ends__lt=today - KEPT_AFTER_YEAR)
    for request in old.only("pk", "photo"):
        try:
            storage.delete(request.photo)
        except StorageError:
            continue  # tried again at the next sweep
        ParentRequest.objects.filter(pk=request.pk).update(photo="")
        done += 1
    return done
