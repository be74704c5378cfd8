"""The backups' own failure (no Django imports: every backup module raises it)."""


class BackupError(Exception):
    """A backup or restore that did not happen; the message is safe to show and record."""
