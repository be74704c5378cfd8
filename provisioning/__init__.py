"""The school lifecycle: creating a school's schema and host (later: suspend, end, archive, purge)."""
