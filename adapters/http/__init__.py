"""The one HTTP server in `herald run`, and what it serves."""
