"""Every test of ops keeps the backup storage, and the audit anchors written there, in a
folder of its own (never the development one); anchor rows a test with real commits left
go with it."""

import pytest
from django.db import connection

from ops.models import AuditAnchor


@pytest.fixture(autouse=True)
def _storage_of_its_own(request, settings, tmp_path):
    settings.BACKUP_S3_ENDPOINT = ""
    settings.BACKUP_LOCAL_DIR = tmp_path / "offsite"
    if "real_db" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("real_db")  # set up first, so torn down after the rows below go
    yield
    connection.set_schema_to_public()
    AuditAnchor.objects.all().delete()
