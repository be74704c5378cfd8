"""Full backups of a school whose structure is the template's are our own archive (rows
through COPY in the backup's snapshot, DDL from the template's): nothing of the other
schools is read. A school whose structure differs is dumped by pg_dump. Both restore."""

import io
import json
import tarfile

import pytest

from catedra import database
from ops.backups import pg
from ops.backups.archive import FORMAT, archive_replay, is_archive
from ops.backups.errors import BackupError
from ops.backups.full import backup_fetch, backup_full_run, backup_verify
from ops.backups.structure import fingerprint, structure_of
from tenants.schemas import TEMPLATE_SCHEMA

pytestmark = pytest.mark.slow


def test_a_school_with_the_templates_structure_is_dumped_as_an_archive_that_restores(
    seeded_school, real_db, local_storage, tmp_path
):
    schema = seeded_school.schema_name
    with pg.connect(pg.live_params()) as conn:
        assert fingerprint(conn, schema) == fingerprint(conn, TEMPLATE_SCHEMA) is not None
        known = structure_of(conn, schema)
    assert f"CREATE SCHEMA {schema};" in known.pre and f"{TEMPLATE_SCHEMA}." not in known.pre + known.post
    assert "PRIMARY KEY" in known.post and "CREATE TRIGGER" in known.post

    backup = backup_full_run(school=seeded_school)

    dump = backup_fetch(backup=backup, into=tmp_path)
    assert is_archive(dump)
    with tarfile.open(dump, "r:gz") as archive:
        names = archive.getnames()
        manifest = json.load(archive.extractfile("catedra-dump.json"))
    assert names[:2] == ["catedra-dump.json", "pre-data.sql"] and names[-1] == "post-data.sql"
    assert manifest["format"] == FORMAT and manifest["schema"] == schema
    assert sorted(table["name"] for table in manifest["tables"]) == sorted(backup.tables)
    assert names[2:-1] == [f"data/{table['name']}.copy" for table in manifest["tables"]]
    report = backup_verify(backup=backup)
    assert report.matches and report.tables == len(backup.tables)


def test_a_school_whose_structure_differs_is_dumped_by_pg_dump_and_restores(
    seeded_school, real_db, local_storage, tmp_path
):
    schema = seeded_school.schema_name
    with pg.connect(pg.owner_params(), autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {schema}.ops_stray (id integer PRIMARY KEY, note text)")
        conn.execute(f"INSERT INTO {schema}.ops_stray VALUES (1, 'rămâne')")  # noqa: S608 - a fixed name
        database.runtime_grants_apply(conn, schema)  # as `catedra migrate` does after making a table
    try:
        with pg.connect(pg.live_params()) as conn:
            assert fingerprint(conn, schema) != fingerprint(conn, TEMPLATE_SCHEMA)
            assert structure_of(conn, schema) is None
        backup = backup_full_run(school=seeded_school)
        dump = backup_fetch(backup=backup, into=tmp_path)
        assert not is_archive(dump) and dump.read_bytes()[:5] == b"PGDMP"
        assert backup.tables["ops_stray"]["rows"] == 1
        assert backup_verify(backup=backup).matches
    finally:
        with pg.connect(pg.owner_params(), autocommit=True) as conn:
            conn.execute(f"DROP TABLE {schema}.ops_stray")


def test_an_archive_of_an_unknown_version_is_refused(real_db, tmp_path):
    path = tmp_path / "future.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        content = json.dumps({"format": FORMAT, "version": 99, "schema": "school_a"}).encode()
        info = tarfile.TarInfo("catedra-dump.json")
        info.size = len(content)
        archive.addfile(info, io.BytesIO(content))
    with pg.connect(pg.live_params()) as conn:
        with pytest.raises(BackupError, match="not a dump this version restores"):
            archive_replay(path, target="_restore_future", conn=conn)
        conn.rollback()
        assert not pg.schema_exists(conn, "_restore_future")
