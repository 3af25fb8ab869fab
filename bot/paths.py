"""Where Herald keeps its files when settings do not say otherwise."""

from __future__ import annotations

import os
from pathlib import Path


def default_database_path() -> Path:
    """Where Herald keeps its SQLite file: `$XDG_DATA_HOME/herald/herald.db` (~/.local/share)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "herald" / "herald.db"


def default_database_url() -> str:
    """The SQLite URL used when HERALD_DATABASE_URL is not set."""
    return f"sqlite+aiosqlite:///{default_database_path()}"
