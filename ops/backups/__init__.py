"""Per-school backups (Order 3896/2023 art. 8-9): monthly full dumps, encrypted and
off-site; daily incrementals into the backup database; restore, verification by trial
restore, and retention with deletion certificates. Services live in the modules here."""
