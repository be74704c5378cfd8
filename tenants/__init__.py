"""Schools (the tenants), their host names, and routing requests to a school's schema."""
