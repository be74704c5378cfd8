"""The school lifecycle: onboarding (a schema from the template, a host, an admin), suspend,
end, archive, purge; restoring a backup as a new school; the provider console and API."""
