"""What the website needs from the store and the anniversary rules (read-only)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from bot.domain import Anniversary, Announcement, Page, TagCount
from bot.formatting import Photo
from bot.schedule.occurrences import LeapPolicy, Rule


class AnnouncementReads(Protocol):
    """Published announcements as members may read them (the announcement store has these)."""

    async def latest(self, *, page: int, size: int) -> Page[Announcement]:
        """Published announcements, newest first."""
        ...

    async def newest(self, *, limit: int) -> list[Announcement]:
        """The newest published announcements, without counting them all (for feeds)."""
        ...

    async def tag_page(
        self, key: str, *, page: int, size: int
    ) -> tuple[TagCount, Page[Announcement]] | None:
        """A tag and a page of its published announcements; None for an unknown tag."""
        ...

    async def search(self, words: str, *, page: int, size: int) -> Page[Announcement]:
        """Published announcements containing every word (the /search full text)."""
        ...

    async def get(self, announcement_id: int) -> Announcement | None:
        """One announcement in any status, or None."""
        ...

    async def photo(self, announcement_id: int) -> Photo | None:
        """The announcement's photo, or None."""
        ...

    async def tags(self, *, limit: int | None = None) -> list[TagCount]:
        """Tags in use, most used first."""
        ...


@dataclass(frozen=True, slots=True)
class WebView:
    """One counted page view: a visitor (a keyed hash, never an address) on a local day."""

    announcement_id: int
    day: date
    visitor: str


@dataclass(frozen=True, slots=True)
class PhotoFacts:
    """What a feed says of a photo without loading it: its type and size in bytes."""

    mime_type: str
    size: int


class SiteStore(Protocol):
    """The website's own reads and writes: retraction times, photo facts and web views."""

    async def photo_facts(self, announcement_ids: Sequence[int]) -> dict[int, PhotoFacts]:
        """Type and size of the photos of these announcements (those that have one)."""
        ...

    async def last_retraction(self, tag_key: str | None) -> datetime | None:
        """When the latest retraction (of an announcement with the tag) happened, or None."""
        ...

    async def record_views(self, views: Sequence[WebView]) -> int:
        """Store views, ignoring ones already counted; how many were new."""
        ...

    async def web_views(self, announcement_ids: Sequence[int]) -> dict[int, int]:
        """Web views per announcement (those with none are left out)."""
        ...

    async def view_totals(self) -> tuple[int, int]:
        """Views of every announcement: (in chats, on the website)."""
        ...


class ViewCounts(Protocol):
    """Views for /show and /stats: the website's next to the chats'."""

    async def web_views(self, announcement_ids: Sequence[int]) -> dict[int, int]:
        """Web views per announcement (those with none are left out)."""
        ...

    async def view_totals(self) -> tuple[int, int]:
        """Views of every announcement: (in chats, on the website)."""
        ...


class AnniversaryReads(Protocol):
    """The kept dates and their calendar rules (the anniversary service has these)."""

    policy: LeapPolicy

    async def all(self) -> list[Anniversary]:
        """Every anniversary in calendar order."""
        ...

    def rule(self, anniversary: Anniversary) -> Rule:
        """The calendar rule for an anniversary, defaults filled in."""
        ...
