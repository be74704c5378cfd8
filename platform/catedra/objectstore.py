"""The object store: where full backups (ops.backups), the audit anchors (ops.anchors) and
the sealed year-end archives (catalog.reports) are kept: an S3-compatible bucket (boto3), or
a local folder when no endpoint is configured (development). Both are real; both take an object in two
steps — upload under a temporary key, then promote it to its final key — so a broken
upload never sits where a backup is expected."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

CHUNK = 1024 * 1024


class StorageError(Exception):
    pass


class BackupStorage:
    """The operations the backup services need; `location(key)` is what manifests record."""

    def location(self, key: str) -> str:
        raise NotImplementedError

    def upload(self, key: str, path: Path) -> None:
        raise NotImplementedError

    def promote(self, temporary: str, key: str) -> None:
        raise NotImplementedError

    def download(self, key: str, path: Path) -> None:
        raise NotImplementedError

    def checksum(self, key: str) -> tuple[int, str]:
        """(size, SHA-256) of the stored object, read back from the storage."""
        raise NotImplementedError

    def delete(self, key: str) -> None:
        raise NotImplementedError

    def keys(self, prefix: str) -> list[str]:
        raise NotImplementedError

    def put_new(self, key: str, data: bytes) -> None:
        """Store a small object under `key`; StorageError if one is there already (never replaced)."""
        raise NotImplementedError

    def get(self, key: str) -> bytes:
        """A small object's bytes."""
        raise NotImplementedError


class LocalFolderStorage(BackupStorage):
    def __init__(self, root: Path):
        self.root = Path(root).resolve()

    def location(self, key: str) -> str:
        return f"file://{self._path(key)}"

    def upload(self, key: str, path: Path) -> None:
        target = self._path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "rb") as source, open(target, "wb") as out:
                shutil.copyfileobj(source, out, CHUNK)
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            raise StorageError(f"writing {key} failed: {exc.strerror or exc}") from exc

    def promote(self, temporary: str, key: str) -> None:
        try:
            os.replace(self._path(temporary), self._path(key))
        except OSError as exc:
            raise StorageError(f"promoting {temporary} failed: {exc.strerror or exc}") from exc

    def download(self, key: str, path: Path) -> None:
        try:
            shutil.copyfile(self._path(key), path)
        except OSError as exc:
            raise StorageError(f"reading {key} failed: {exc.strerror or exc}") from exc

    def checksum(self, key: str) -> tuple[int, str]:
        digest, size = hashlib.sha256(), 0
        try:
            with open(self._path(key), "rb") as handle:
                while chunk := handle.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
        except OSError as exc:
            raise StorageError(f"reading {key} failed: {exc.strerror or exc}") from exc
        return size, digest.hexdigest()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def keys(self, prefix: str) -> list[str]:
        base = self.root / prefix
        if not base.exists():
            return []
        return sorted(str(path.relative_to(self.root)) for path in base.rglob("*") if path.is_file())

    def put_new(self, key: str, data: bytes) -> None:
        target = self._path(key)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.partial")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(temporary, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            # A hard link is made whole or not at all, and never over an existing name.
            os.link(temporary, target)
        except FileExistsError as exc:
            raise StorageError(f"{key} exists already: it is never replaced") from exc
        except OSError as exc:
            raise StorageError(f"writing {key} failed: {exc.strerror or exc}") from exc
        finally:
            temporary.unlink(missing_ok=True)

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except OSError as exc:
            raise StorageError(f"reading {key} failed: {exc.strerror or exc}") from exc

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise StorageError(f"key outside the backup folder: {key!r}")
        return path


class S3Storage(BackupStorage):
    def __init__(self, *, endpoint: str, bucket: str, region: str, access_key: str, secret_key: str):
        self.endpoint, self.bucket = endpoint, bucket
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=region,
            aws_access_key_id=access_key or None,
            aws_secret_access_key=secret_key or None,
            # Fail within seconds when the storage is down: the job retries with backoff.
            config=Config(connect_timeout=5, read_timeout=60, retries={"max_attempts": 2, "mode": "standard"}),
        )

    def location(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def upload(self, key: str, path: Path) -> None:
        with _s3_errors(f"uploading {key}"):
            self.client.upload_file(str(path), self.bucket, key)

    def promote(self, temporary: str, key: str) -> None:
        with _s3_errors(f"promoting {temporary}"):
            self.client.copy({"Bucket": self.bucket, "Key": temporary}, self.bucket, key)
            self.client.delete_object(Bucket=self.bucket, Key=temporary)

    def download(self, key: str, path: Path) -> None:
        with _s3_errors(f"downloading {key}"):
            self.client.download_file(self.bucket, key, str(path))

    def checksum(self, key: str) -> tuple[int, str]:
        digest, size = hashlib.sha256(), 0
        with _s3_errors(f"reading {key}"):
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
            for chunk in body.iter_chunks(CHUNK):
                digest.update(chunk)
                size += len(chunk)
        return size, digest.hexdigest()

    def delete(self, key: str) -> None:
        with _s3_errors(f"deleting {key}"):
            self.client.delete_object(Bucket=self.bucket, Key=key)

    def keys(self, prefix: str) -> list[str]:
        found = []
        with _s3_errors(f"listing {prefix}"):
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
                found.extend(item["Key"] for item in page.get("Contents", []))
        return sorted(found)

    def put_new(self, key: str, data: bytes) -> None:
        with _s3_errors(f"writing {key}"):
            # S3's conditional write: refused (PreconditionFailed) when the key exists.
            self.client.put_object(
                Bucket=self.bucket, Key=key, Body=data, IfNoneMatch="*", ContentType="application/json"
            )

    def get(self, key: str) -> bytes:
        with _s3_errors(f"reading {key}"):
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()


class _s3_errors:
    """botocore's errors as StorageError, with the operation and the error's class or code."""

    def __init__(self, what: str):
        self.what = what

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, traceback):
        if isinstance(exc, ClientError):
            code = exc.response.get("Error", {}).get("Code", "error")
            raise StorageError(f"{self.what} failed: S3 {code}") from exc
        if isinstance(exc, BotoCoreError | OSError):
            raise StorageError(f"{self.what} failed: {type(exc).__name__}") from exc
        return False


def school_area(schema: str) -> str:
    """The prefix of everything kept for one school: its full backups, its sealed year-end
    archives, its documents waiting to be downloaded. The retention purge empties it."""
    return f"{settings.BACKUP_S3_PREFIX}/{schema}/"


def backup_storage() -> BackupStorage:
    """The configured storage: S3 when BACKUP_S3_ENDPOINT is set, else the local folder."""
    if settings.BACKUP_S3_ENDPOINT:
        return S3Storage(
            endpoint=settings.BACKUP_S3_ENDPOINT,
            bucket=settings.BACKUP_S3_BUCKET,
            region=settings.BACKUP_S3_REGION,
            access_key=settings.BACKUP_S3_ACCESS_KEY_ID,
            secret_key=settings.BACKUP_S3_SECRET_ACCESS_KEY,
        )
    return LocalFolderStorage(settings.BACKUP_LOCAL_DIR)


def storage_for_location(location: str) -> tuple[BackupStorage, str]:
    """The storage holding the object at `location` (as a manifest records it) and its key."""
    if location.startswith("s3://"):
        bucket, _slash, key = location.removeprefix("s3://").partition("/")
        if not settings.BACKUP_S3_ENDPOINT:
            raise StorageError(f"{location} is in S3, but BACKUP_S3_ENDPOINT is not set")
        storage = S3Storage(
            endpoint=settings.BACKUP_S3_ENDPOINT,
            bucket=bucket,
            region=settings.BACKUP_S3_REGION,
            access_key=settings.BACKUP_S3_ACCESS_KEY_ID,
            secret_key=settings.BACKUP_S3_SECRET_ACCESS_KEY,
        )
        return storage, key
    if location.startswith("file://"):
        local = LocalFolderStorage(settings.BACKUP_LOCAL_DIR)
        path = Path(location.removeprefix("file://"))
        if local.root not in path.parents:
            raise StorageError(f"{location} is outside BACKUP_LOCAL_DIR ({local.root})")
        return local, str(path.relative_to(local.root))
    raise StorageError(f"unknown backup location: {location!r}")
