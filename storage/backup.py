"""A consistent copy of a live SQLite database through SQLite's online backup API."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.archive import ArchiveError


def sqlite_path(url: str) -> Path:
    """The file behind a SQLite URL; ArchiveError for any other database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        raise ArchiveError(
            "herald backup copies a SQLite file; for PostgreSQL use `herald export` or pg_dump"
        )
    return Path(parsed.database).expanduser()


def backup_sqlite(url: str, target: Path) -> int:
    """Copy the database at `url` to `target` (which must not exist); its size in bytes."""
    source = sqlite_path(url)
    if not source.exists():
        raise ArchiveError(f"{source} does not exist")
    if target.exists():
        raise ArchiveError(f"{target} already exists; choose another name")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=".herald-backup-", dir=target.parent)
    except OSError as exc:
        raise ArchiveError(f"cannot write {target}: {exc.strerror or exc}") from None
    os.close(fd)
    try:
        # Read-only on the source; one step (pages=-1) so that writers on other connections
        # cannot make the copy restart: WAL lets them go on while it reads.
        with (
            sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30) as src,
            sqlite3.connect(temporary) as dst,
        ):
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode=DELETE")
        src.close()
        dst.close()
        os.replace(temporary, target)
    except sqlite3.Error as exc:
        Path(temporary).unlink(missing_ok=True)
        raise ArchiveError(f"backing up {source} failed: {exc}") from None
    except OSError as exc:  # the target's disk is full, or it went away
        Path(temporary).unlink(missing_ok=True)
        raise ArchiveError(f"cannot write {target}: {exc.strerror or exc}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target.stat().st_size
