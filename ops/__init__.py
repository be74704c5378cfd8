"""Operations: backups, restore and retention, health and readiness, the audit anchors, scheduled central jobs."""
