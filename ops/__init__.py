"""Operations: health and readiness, scheduled central jobs (later: backups, restore, retention)."""
