"""What the feed service needs from storage, from the network and from whoever tells admins."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.domain import NewAnnouncement, PublishResult, Status
from bot.feeds.sources import FeedSource, NewSource, SeenEntry


class FeedStore(Protocol):
    """Sources and the entries each has shown; every call is one transaction."""

    async def add(
        self, new: NewSource, *, now: datetime, next_poll: datetime, actor: str
    ) -> FeedSource:
        """Keep a new source; DuplicateSource when its URL is kept already."""
        ...

    async def get(self, source_id: int) -> FeedSource | None:
        """One source, or None."""
        ...

    async def all(self) -> list[FeedSource]:
        """Every source, by id."""
        ...

    async def set_paused(
        self, source_id: int, paused: bool, *, next_poll: datetime
    ) -> FeedSource | None:
        """Pause or resume a source (resuming sets its next poll); None when unknown."""
        ...

    async def remove(self, source_id: int) -> bool:
        """Forget a source and its seen entries (announcements stay); False when unknown."""
        ...

    async def seen(self, source_id: int, keys: Collection[str]) -> dict[str, SeenEntry]:
        """The entries among `keys` the source has shown before, by key."""
        ...

    async def mark_seen(
        self,
        source_id: int,
        entries: Sequence[tuple[str, str, datetime | None]],
        *,
        now: datetime,
    ) -> int:
        """Take (key, content hash, updated) as seen without an announcement; how many new."""
        ...

    async def create_announcement(
        self,
        source_id: int,
        *,
        key: str,
        content_hash: str,
        updated: datetime | None,
        new: NewAnnouncement,
        status: Status,
        now: datetime,
        actor: str,
    ) -> PublishResult | None:
        """Mark the entry seen and store its announcement (with its outbox rows) in one
        transaction; None when the entry was seen already (another replica, another poll)."""
        ...

    async def edit_announcement(
        self,
        source_id: int,
        *,
        key: str,
        old_hash: str,
        content_hash: str,
        updated: datetime | None,
        new: NewAnnouncement,
        keep_photo: bool,
        now: datetime,
        actor: str,
    ) -> PublishResult | None:
        """Edit the entry's announcement (every sent copy follows) and record the new hash, in
        one transaction, if the stored hash is still `old_hash`; None otherwise. A retracted
        announcement is left alone (the hash is still recorded).

        The edit takes `new`'s title, body, styles, tags, category and signature (views only
        upwards), and its photo: `new.photo` replaces the stored one (None removes it) unless
        `keep_photo` (the entry's image could not be fetched this time)."""
        ...

    async def polled(
        self,
        source_id: int,
        *,
        now: datetime,
        next_poll: datetime,
        etag: str | None,
        last_modified: str | None,
        title: str | None,
    ) -> None:
        """Record a successful poll: validators, the feed's title, the next poll; failures 0."""
        ...

    async def failed(
        self, source_id: int, error: str, *, now: datetime, next_poll: datetime
    ) -> int:
        """Record a failed poll and its next try; the failures in a row now."""
        ...

    async def claim(self, source_id: int, *, now: datetime, until: datetime) -> bool:
        """Take a due, active source's poll by moving its next poll to `until`, atomically;
        False when it is not due (another process took it), paused or gone."""
        ...

    async def postpone(self, source_id: int, *, next_poll: datetime) -> None:
        """Move the next poll (a poll claimed by this replica)."""
        ...


@dataclass(frozen=True, slots=True)
class Fetched:
    """A response: 200 with its body, or 304 (`not_modified`, empty body)."""

    url: str
    status: int
    body: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    # Cache-Control max-age in seconds, when the server gave one (and no no-cache/no-store).
    max_age: float | None = None

    @property
    def not_modified(self) -> bool:
        """A 304: nothing changed since the validators sent."""
        return self.status == 304


class FetchError(Exception):
    """A fetch failed; the message says why in one line. `retry_after`: the server's wish."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class Fetcher(Protocol):
    """Polite HTTP GETs: limits, redirects, timeouts and one request per host at a time."""

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        limit: int | None = None,
    ) -> Fetched:
        """GET `url` (conditionally when validators are given); FetchError on any failure."""
        ...


class FeedNotices(Protocol):
    """What admins are told about sources (privately, on the platforms they use)."""

    async def failing(self, source: FeedSource, failures: int, error: str) -> None:
        """The source failed `failures` times in a row."""
        ...

    async def recovered(self, source: FeedSource, failures: int) -> None:
        """The source works again after `failures` failures."""
        ...

    async def draft(self, source: FeedSource, result: PublishResult) -> None:
        """A new entry was kept as a draft, waiting to be published."""
        ...
