"""Moving house: a versioned archive of everything the society owns (the Archive port)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


class ArchiveError(Exception):
    """The archive cannot be written or restored; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class ArchiveSummary:
    """What an archive holds: its schema revision, rows per table, photo files."""

    schema: str
    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0

    def describe(self) -> str:
        """`schema 0003: 12 announcements, 3 chats, ...; 2 photo files`."""
        counts = ", ".join(f"{count} {table}" for table, count in self.rows.items() if count)
        return f"schema {self.schema}: {counts or 'no rows'}; {self.files} photo files"


class Archive(Protocol):
    """Export a database to an archive file, or restore one into an empty database."""

    async def export(self, path: Path) -> ArchiveSummary:
        """Write the archive to `path` (replaced only once complete)."""
        ...

    async def restore(self, path: Path) -> ArchiveSummary:
        """Load the archive at `path` into an empty database, all or nothing."""
        ...
