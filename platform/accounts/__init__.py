"""Identity for both sides: provider staff in `public`, each school's people in its schema."""
