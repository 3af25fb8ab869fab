"""What the website shows: published announcements only, tags, search, feeds, anniversaries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain import Anniversary, Announcement, Page, Status, TagCount
from bot.formatting import Photo
from bot.ports import Clock
from bot.schedule.occurrences import LeapPolicy, Occurrence, Rule, next_occurrence
from bot.site.ports import AnniversaryReads, AnnouncementReads, PhotoFacts, SiteStore
from bot.tags import tag_key

PAGE_SIZE = 20
FEED_SIZE = 30
UPCOMING = 30
# Search totals are exact up to this many (storage.search.TOTAL_CAP; a test keeps them equal).
SEARCH_TOTAL_CAP = 300


class Gone(LookupError):
    """The announcement was published once and has been retracted (410)."""


class Hidden(LookupError):
    """No such announcement, or one members may not see yet (a draft, a scheduled post)."""


@dataclass(frozen=True, slots=True)
class Feed:
    """A feed's entries (newest first), its tag if any, and when it last changed."""

    items: tuple[Announcement, ...]
    tag: TagCount | None
    updated: datetime | None
    photos: dict[int, PhotoFacts]


@dataclass(frozen=True, slots=True)
class Coming:
    """An anniversary's next day, days left counted in its own timezone."""

    anniversary: Anniversary
    occurrence: Occurrence
    days_left: int


@dataclass(frozen=True, slots=True)
class Dated:
    """An anniversary with its calendar rule, for the .ics."""

    anniversary: Anniversary
    rule: Rule


class SiteService:
    """Read-only use cases of the public website; nothing here changes an announcement."""

    def __init__(
        self,
        announcements: AnnouncementReads,
        store: SiteStore,
        anniversaries: AnniversaryReads,
        clock: Clock,
        *,
        zone: ZoneInfo,
        language: str,
    ) -> None:
        self._announcements = announcements
        self._store = store
        self._anniversaries = anniversaries
        self._clock = clock
        self.zone = zone
        self.language = language

    @property
    def leap_policy(self) -> LeapPolicy:
        """Where 29 February falls in common years."""
        return self._anniversaries.policy

    async def latest(self, page: int) -> Page[Announcement]:
        """A page of the newest published announcements."""
        return await self._announcements.latest(page=page, size=PAGE_SIZE)

    async def tag(self, name: str, page: int) -> tuple[TagCount, Page[Announcement]] | None:
        """A tag and a page of its published announcements; None when no post carries it."""
        key = tag_key(name)
        if not key:
            return None
        found = await self._announcements.tag_page(key, page=page, size=PAGE_SIZE)
        if found is None or found[0].count == 0:
            return None
        return found

    async def tags(self) -> list[TagCount]:
        """Every tag in use, most used first."""
        return await self._announcements.tags()

    async def search(self, words: str, page: int) -> Page[Announcement]:
        """Published announcements containing every word."""
        return await self._announcements.search(words, page=page, size=PAGE_SIZE)

    async def announcement(self, announcement_id: int) -> tuple[Announcement, int]:
        """A published announcement and its web views; Gone if retracted, Hidden otherwise."""
        found = await self._announcements.get(announcement_id)
        if found is None or found.status in (Status.DRAFT, Status.SCHEDULED):
            raise Hidden(announcement_id)
        if found.status is Status.RETRACTED:
            raise Gone(announcement_id)
        views = await self._store.web_views([announcement_id])
        return found, views.get(announcement_id, 0)

    async def photo(self, announcement_id: int) -> Photo | None:
        """The photo of a published announcement; None otherwise."""
        found = await self._announcements.get(announcement_id)
        if found is None or found.status is not Status.PUBLISHED or not found.has_photo:
            return None
        return await self._announcements.photo(announcement_id)

    async def feed(self, tag_name: str | None = None) -> Feed | None:
        """The newest entries for a feed (all, or one tag's); None for an unknown tag."""
        tag: TagCount | None = None
        if tag_name is None:
            items = tuple(await self._announcements.newest(limit=FEED_SIZE))
        else:
            key = tag_key(tag_name)
            found = await self._announcements.tag_page(key, page=1, size=FEED_SIZE) if key else None
            if found is None:
                return None
            tag, items = found[0], found[1].items
        # A retraction changes the feed (its entry leaves) though no entry left shows it.
        changes = [item.updated_at for item in items]
        retracted = await self._store.last_retraction(None if tag is None else tag.key)
        if retracted is not None:
            changes.append(retracted)
        photos = await self._store.photo_facts([i.id for i in items if i.has_photo])
        return Feed(items, tag, max(changes) if changes else None, photos)

    async def upcoming(self, limit: int = UPCOMING) -> list[Coming]:
        """The next anniversaries, soonest first."""
        now = self._clock.now()
        found: list[Coming] = []
        for item in await self._anniversaries.all():
            rule = self._anniversaries.rule(item)
            day_rule = Rule(rule.anniversary_id, rule.month, rule.day, rule.year, rule.at, rule.tz)
            occurrence = next_occurrence(day_rule, now, self.leap_policy)
            if occurrence is None:
                continue
            today = now.astimezone(rule.tz).date()
            found.append(Coming(item, occurrence, (occurrence.occurs_on - today).days))
        found.sort(key=lambda c: c.occurrence.fire_at)
        return found[:limit]

    async def dated(self, tag_name: str | None = None) -> list[Dated] | None:
        """Anniversaries (all, or those with the tag) with their rules; None for an unknown tag."""
        everything = await self._anniversaries.all()
        if tag_name is None:
            return [Dated(a, self._anniversaries.rule(a)) for a in everything]
        key = tag_key(tag_name)
        chosen = [a for a in everything if key and key in {tag_key(t) for t in a.tags}]
        if not chosen:
            return None
        return [Dated(a, self._anniversaries.rule(a)) for a in chosen]

    def now(self) -> datetime:
        """The current time (UTC)."""
        return self._clock.now()
