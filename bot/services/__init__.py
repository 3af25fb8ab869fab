"""Services: the platform-neutral operations commands and the CLI call."""
