"""A school's structure (DDL) without a pg_dump of the school.

pg_dump reads the catalog of the whole database, whatever schema it is asked for, so one
school's dump grows with the number of schools (about 4 s with 1,000 of them). Every
school's schema is a copy of the template's, migrated the same way, so its structure is
the template's: a fingerprint of the school's structure, read through the catalog's index
of what belongs to its namespace (nothing of the other schemas is read), is compared with
the template's; when they are equal, the template's DDL (dumped once per fingerprint and
kept for the process) renamed to the school is the school's. When they differ (a school
half-way through a migration, an object the fingerprint does not describe), callers fall
back to pg_dump of the school.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

import psycopg

from ops.backups import pg
from ops.backups.errors import BackupError, first_line
from tenants.schemas import TEMPLATE_SCHEMA

# The schema's own objects, through pg_depend's index on what depends on its namespace:
# tables, sequences, views, functions, types; indexes, constraints and triggers belong to
# their table, so they are found through it.
MEMBERS = """
SELECT classid::regclass::text, array_agg(objid) FROM pg_depend
WHERE refclassid = 'pg_namespace'::regclass AND refobjid = %(schema)s::regnamespace AND deptype = 'n'
GROUP BY classid
"""
# Everything that makes up the structure, with the schema's name taken out (columns by
# their place among the live ones: a column a migration dropped leaves a gap in attnum,
# which a copy made from the DDL does not have); the arrays of the schema's relations and
# functions keep every join an index look-up.
FINGERPRINT = """
WITH relations AS (SELECT c.* FROM unnest(%(relations)s::oid[]) AS r (oid) JOIN pg_class c ON c.oid = r.oid)
SELECT md5(string_agg(item, E'\\n' ORDER BY item)) FROM (
    SELECT replace(replace(named, quote_ident(%(schema)s) || '.', ''), %(schema)s || '.', '') FROM (
        SELECT concat_ws(' ', r.relname, r.relkind, r.relpersistence, r.relrowsecurity, r.reloptions::text)
        FROM relations r
        UNION ALL SELECT concat_ws(' ', r.relname, row_number() OVER (PARTITION BY r.oid ORDER BY a.attnum),
            a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity, a.attgenerated,
            a.attcollation, pg_get_expr(d.adbin, d.adrelid))
        FROM relations r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
        LEFT JOIN pg_attrdef d ON d.adrelid = r.oid AND d.adnum = a.attnum
        UNION ALL SELECT pg_get_indexdef(i.indexrelid) FROM relations r JOIN pg_index i ON i.indrelid = r.oid
        UNION ALL SELECT concat_ws(' ', r.relname, con.conname, pg_get_constraintdef(con.oid))
        FROM relations r JOIN pg_constraint con ON con.conrelid = r.oid
        UNION ALL SELECT pg_get_triggerdef(t.oid) FROM relations r JOIN pg_trigger t ON t.tgrelid = r.oid
        WHERE NOT t.tgisinternal
        UNION ALL SELECT concat_ws(' ', r.relname, p.polname, p.polcmd, p.polpermissive,
            pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid))
        FROM relations r JOIN pg_policy p ON p.polrelid = r.oid
        UNION ALL SELECT concat_ws(' ', r.relname, s.seqtypid::regtype, s.seqstart, s.seqincrement, s.seqmax,
            s.seqmin, s.seqcache, s.seqcycle) FROM relations r JOIN pg_sequence s ON s.seqrelid = r.oid
        UNION ALL SELECT concat_ws(' ', r.relname, pg_get_viewdef(r.oid)) FROM relations r WHERE r.relkind IN ('v', 'm')
        UNION ALL SELECT pg_get_functiondef(f.oid) FROM unnest(%(functions)s::oid[]) AS f (oid)
    ) AS named (named)
) AS structure (item)
"""
# What the fingerprint describes; a schema holding anything else (a type or an operator of
# its own, say) is dumped by pg_dump.
_DESCRIBED = {"pg_class", "pg_proc"}
_CREATE_SCHEMA = "CREATE SCHEMA {};"


@dataclass(frozen=True)
class Structure:
    """A schema's DDL as pg_dump writes it, in two sections: before the rows (tables,
    sequences, functions) and after them (indexes, constraints, triggers)."""

    fingerprint: str
    pre: str
    post: str


_images: dict[str, Structure] = {}  # the template's, by fingerprint


def fingerprint(conn: psycopg.Connection, schema: str) -> str | None:
    """What the schema's structure is, whatever the schema is called; None when it holds
    objects the fingerprint does not describe."""
    found = dict(conn.execute(MEMBERS, {"schema": pg.checked_schema(schema)}).fetchall())
    if not found.get("pg_class") or set(found) - _DESCRIBED:
        return None
    values = {"schema": schema, "relations": found["pg_class"], "functions": found.get("pg_proc", [])}
    return conn.execute(FINGERPRINT, values).fetchone()[0]


def structure_of(conn: psycopg.Connection, schema: str) -> Structure | None:
    """The schema's DDL from the template's, when the two structures are the same
    (`conn` may be in the snapshot of a backup); None otherwise."""
    mine = fingerprint(conn, schema)
    if mine is None:
        return None
    image = _images.get(mine) or _template_image(mine)
    if image is None:
        return None
    rename = renamer(TEMPLATE_SCHEMA, schema)
    return Structure(fingerprint=mine, pre=rename(image.pre), post=rename(image.post))


def _template_image(wanted: str) -> Structure | None:
    """The template's DDL if its structure is `wanted` before and after the dump (kept)."""
    with pg.connect(pg.live_params(), autocommit=True) as conn:
        if not pg.schema_exists(conn, TEMPLATE_SCHEMA) or fingerprint(conn, TEMPLATE_SCHEMA) != wanted:
            return None
        pre, post = (dump_section(TEMPLATE_SCHEMA, section) for section in ("pre-data", "post-data"))
        if fingerprint(conn, TEMPLATE_SCHEMA) != wanted:  # migrated meanwhile
            return None
    _images.clear()  # one migration state at a time
    _images[wanted] = Structure(fingerprint=wanted, pre=pre, post=post)
    return _images[wanted]


def dump_section(schema: str, section: str) -> str:
    """pg_dump's DDL of one section ("pre-data" or "post-data") of `schema`, as it is now."""
    args, env = pg.program_args(pg.live_params())
    command = [
        pg.program("pg_dump"), *args, "--schema-only", f"--section={section}", "--no-owner", "--no-privileges",
        "--no-comments", f"--schema={schema}",
    ]  # fmt: skip
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"pg_dump ({section}) failed: {first_line(result.stderr)}")
    return pg.strip_meta(result.stdout)


def renamer(source: str, target: str):
    """A function naming in `target` what DDL or SQL names in `source` (schema-qualified
    names and the schema's creation)."""
    pattern = re.compile(rf"(?<![\w$]){re.escape(pg.checked_schema(source))}\.")
    replacement = f"{pg.checked_schema(target)}."
    create = (_CREATE_SCHEMA.format(source), _CREATE_SCHEMA.format(target))
    return lambda text: pattern.sub(replacement, pg.strip_meta(text)).replace(*create, 1)
