"""Scheduling rules: anniversary occurrences, ordinals and date mentions (pure, no I/O)."""
