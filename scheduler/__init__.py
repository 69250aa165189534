"""Background jobs that claim due work from the database."""
