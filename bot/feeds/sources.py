"""Feed sources as the core sees them: what an admin added, and how its polling goes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class SourceKind(StrEnum):
    """How a source is read: a feed document, or an HTML news page whose items are followed."""

    FEED = "feed"
    HTML = "html"


class SourceMode(StrEnum):
    """What a new entry becomes: a published announcement, or a draft admins are told about."""

    PUBLISH = "publish"
    DRAFT = "draft"


@dataclass(frozen=True, slots=True)
class FeedSource:
    """One source as stored; times are aware UTC."""

    id: int
    url: str
    kind: SourceKind
    mode: SourceMode
    every: timedelta
    tags: tuple[str, ...] = ()
    paused: bool = False
    title: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_success: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    failures: int = 0
    next_poll: datetime | None = None
    created_by: str | None = None


@dataclass(frozen=True, slots=True)
class NewSource:
    """What an admin gives to add a source."""

    url: str
    kind: SourceKind
    mode: SourceMode
    every: timedelta
    tags: tuple[str, ...] = ()
    title: str | None = None


@dataclass(frozen=True, slots=True)
class SeenEntry:
    """An entry a source has shown before: its identity, content and announcement (if any)."""

    key: str
    content_hash: str
    updated: datetime | None
    announcement_id: int | None


class DuplicateSource(ValueError):
    """A source with that URL is already kept; `source_id` is its id."""

    def __init__(self, source_id: int) -> None:
        super().__init__(source_id)
        self.source_id = source_id


MIN_EVERY = timedelta(minutes=5)
MAX_EVERY = timedelta(days=7)
DEFAULT_EVERY = timedelta(minutes=15)
_EVERY = re.compile(r"^\s*(\d{1,5})\s*([smhd]?)\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "": 60, "m": 60, "h": 3600, "d": 86400}


def parse_every(text: str) -> timedelta:
    """`15m`, `2h`, `1d`, `900s` (a bare number is minutes); ValueError outside 5 min–7 days."""
    match = _EVERY.match(text)
    if not match:
        raise ValueError(f"not an interval: {text!r} (use 15m, 2h or 1d)")
    every = timedelta(seconds=int(match[1]) * _UNITS[match[2].lower()])
    if not MIN_EVERY <= every <= MAX_EVERY:
        raise ValueError(f"the interval {text.strip()} is outside 5m to 7d")
    return every


def format_every(every: timedelta) -> str:
    """An interval the way `parse_every` reads it (`15m`, `2h`, `1d`)."""
    seconds = int(every.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
