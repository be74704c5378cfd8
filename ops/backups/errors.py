"""The backups' own failure (no Django imports: every backup module raises it)."""


class BackupError(Exception):
    """A backup or restore that did not happen; the message is safe to show and record."""


def first_line(text: str) -> str:
    """The first line of an error's text: PostgreSQL's DETAIL/CONTEXT lines may quote row
    values, so only the first line is ever kept."""
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""
