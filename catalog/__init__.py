"""What every school runs: one Django app per area of the catalog."""
