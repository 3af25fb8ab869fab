"""Posting, editing, retracting and finding announcements."""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.commands.adapter_ports import PhotoSource
from bot.commands.parsing import PostText
from bot.domain import (
    SEARCH_TOTAL_CAP,
    Announcement,
    NewAnnouncement,
    NotFound,
    Page,
    PublishResult,
    Status,
    TagCount,
    WrongState,
)
from bot.paging import check_page
from bot.photos import PhotoError, checked_photo
from bot.ports import Clock
from bot.ports.stores import AnnouncementStore
from bot.services.cache import TTLCache
from bot.site.ports import ViewCounts
from bot.tags import DEFAULT_TAG_LIMITS, TagLimits, read_tags, tag_key

__all__ = [
    "SEARCH_TOTAL_CAP",
    "AnnouncementService",
    "NotFound",
    "PhotoError",
    "UnknownTag",
    "WrongState",
]


class UnknownTag(LookupError):
    """No published announcement carries the tag; `suggestions` are close matches."""

    def __init__(self, name: str, suggestions: list[str]) -> None:
        super().__init__(name)
        self.name = name
        self.suggestions = suggestions


class AnnouncementService:
    """The announcement use cases; `notify` wakes the delivery engine after a commit."""

    def __init__(
        self,
        store: AnnouncementStore,
        clock: Clock,
        notify: Callable[[], None] = lambda: None,
        page_size: int = 5,
        views: ViewCounts | None = None,
        tag_limits: TagLimits = DEFAULT_TAG_LIMITS,
    ) -> None:
        self._store = store
        self.tag_limits = tag_limits
        self._views = views
        self._listeners: list[Callable[[], None]] = []
        self._clock = clock
        self._notify = notify
        self.page_size = page_size
        # Members ask for the same pages over and over (a popular tag after a post). Local
        # writes clear these at once; another process's write shows within LISTING_TTL.
        self._latest: TTLCache[tuple[int, int], Page[Announcement]] = _listing_cache()
        self._tag_pages: TTLCache[tuple[str, int], tuple[TagCount, Page[Announcement]] | None] = (
            _listing_cache()
        )
        self._searches: TTLCache[tuple[str, int], Page[Announcement]] = _listing_cache()
        self._tag_lists: TTLCache[tuple[int | None, int], list[TagCount]] = _listing_cache()

    async def post(
        self,
        text: PostText,
        *,
        actor: str,
        draft: bool = False,
        signature: str | None = None,
        photo: PhotoSource | None = None,
    ) -> PublishResult:
        """Create an announcement (with its photo, in one transaction); publish unless `draft`.

        The photo is fetched here, so an adapter downloads it only for a command that runs.
        """
        tags = self._checked_tags(text.tags)
        fetched = None if photo is None else checked_photo(await photo.fetch())
        new = NewAnnouncement(
            title=text.title,
            body=text.body,
            tags=tags,
            signature=signature,
            created_by=actor,
            body_styles=text.body_styles,
            photo=fetched,
        )
        status = Status.DRAFT if draft else Status.PUBLISHED
        result = await self._store.create(new, status=status, now=self._clock.now(), actor=actor)
        self._wake(result)
        return result

    def _checked_tags(self, names: tuple[str, ...]) -> tuple[str, ...]:
        """The post's tags, each usable and at most `per_post` of them; TagError otherwise."""
        return tuple(read_tags(names, self.tag_limits, cap=self.tag_limits.per_post))

    async def publish(self, announcement_id: int, *, actor: str) -> PublishResult:
        """Publish a draft or scheduled announcement now."""
        result = await self._store.publish(announcement_id, now=self._clock.now(), actor=actor)
        self._wake(result)
        return result

    async def schedule(self, announcement_id: int, when: datetime, *, actor: str) -> Announcement:
        """Publish later, at `when` (aware)."""
        if when.tzinfo is None:
            raise ValueError("schedule needs an aware datetime")
        return await self._store.schedule(
            announcement_id, when=when, now=self._clock.now(), actor=actor
        )

    async def publish_due(self) -> list[PublishResult]:
        """Publish every scheduled announcement whose time has come (once, across processes)."""
        results = await self._store.publish_due(now=self._clock.now())
        for result in results:
            self._wake(result)
        return results

    async def edit(
        self, announcement_id: int, text: PostText, *, actor: str, keep_tags: bool = False
    ) -> PublishResult:
        """Replace the text; every copy already sent is edited."""
        tags = None if keep_tags else self._checked_tags(text.tags)
        result = await self._store.edit(
            announcement_id,
            title=text.title,
            body=text.body,
            body_styles=text.body_styles,
            tags=tags,
            now=self._clock.now(),
            actor=actor,
        )
        self._wake(result)
        return result

    async def retract(self, announcement_id: int, *, actor: str) -> PublishResult:
        """Retract: every copy is deleted (or marked withdrawn where it cannot be)."""
        result = await self._store.retract(announcement_id, now=self._clock.now(), actor=actor)
        self._wake(result)
        return result

    async def show(
        self, announcement_id: int, *, count_view: bool = True, viewer: str | None = None
    ) -> Announcement:
        """One announcement; counts `viewer`'s (`platform:user_id`) view, once per reader."""
        found = await self._store.get(announcement_id)
        if found is None:
            raise NotFound(announcement_id)
        if count_view and viewer and found.status is Status.PUBLISHED:
            digest = hashlib.sha256(viewer.encode()).hexdigest()[:32]
            await self._store.count_view(announcement_id, digest)
        if self._views is not None:
            web = await self._views.web_views([announcement_id])
            found = replace(found, web_views=web.get(announcement_id, 0))
        return found

    async def get(self, announcement_id: int) -> Announcement | None:
        """One announcement in any status, without counting a view."""
        return await self._store.get(announcement_id)

    async def latest(self, page: int = 1, size: int | None = None) -> Page[Announcement]:
        """The newest published announcements, `size` (default: the page size) to a page."""
        check_page(page)
        per_page = size or self.page_size
        return await self._latest.fetch(
            (page, per_page), lambda: self._store.latest(page=page, size=per_page)
        )

    async def by_tag(self, name: str, page: int = 1) -> tuple[TagCount, Page[Announcement]]:
        """Published announcements with a tag; UnknownTag with suggestions when none."""
        check_page(page)
        key = tag_key(name)
        found = None
        if key:
            # A burst of members asking one page shares one query (each would miss at once).
            found = await self._tag_pages.fetch(
                (key, page),
                lambda: self._store.tag_page(key, page=page, size=self.page_size),
                keep=lambda loaded: loaded is not None and loaded[0].count > 0,
            )
        if found is None or found[0].count == 0:
            raise UnknownTag(name, await self.suggest(name))
        return found

    async def suggest(self, name: str, limit: int = 3) -> list[str]:
        """Tag names close to `name`."""
        key = tag_key(name)
        tags = await self._store.tags()
        by_key = {tag.key: tag.name for tag in tags}
        close = difflib.get_close_matches(key, list(by_key), n=limit, cutoff=0.6)
        contains = [k for k in by_key if key and key in k and k not in close]
        return [by_key[k] for k in [*close, *contains][:limit]]

    async def search(self, words: str, page: int = 1) -> Page[Announcement]:
        """Published announcements containing every word (a page past the cap comes back empty)."""
        check_page(page)
        if page > 1 and (page - 1) * self.page_size >= SEARCH_TOTAL_CAP:
            # Search counts at most SEARCH_TOTAL_CAP matches: no page lies beyond them.
            first = await self.search(words, 1)
            return Page((), page, first.pages, first.total)
        key = (" ".join(words.split()).casefold(), page)
        return await self._searches.fetch(
            key, lambda: self._store.search(words, page=page, size=self.page_size)
        )

    async def tags(self, limit: int | None = None, offset: int = 0) -> list[TagCount]:
        """Tags in use with counts, most used first: `limit` (all when None) after `offset`."""
        return await self._tag_lists.fetch(
            (limit, offset), lambda: self._store.tags(limit=limit, offset=offset)
        )

    async def tags_in_use(self) -> int:
        """How many tags are in use."""
        return await self._store.tags_in_use()

    async def tag_names(self, prefix: str, limit: int = 25) -> list[str]:
        """Tag names for autocompletion."""
        return await self._store.tag_names(prefix, limit)

    async def view_totals(self) -> tuple[int, int] | None:
        """Views of every announcement (in chats, on the website); None without a website."""
        return None if self._views is None else await self._views.view_totals()

    async def counts(self) -> dict[str, int]:
        """Announcements per status."""
        return await self._store.counts()

    def _wake(self, result: PublishResult) -> None:
        self.forget_listings()
        if result.deliveries:
            self._notify()

    def forget_listings(self) -> None:
        """Drop cached pages (after any change to what members can see)."""
        for cache in (self._latest, self._tag_pages, self._searches, self._tag_lists):
            cache.clear()
        for listener in self._listeners:
            listener()

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call `listener` after every change this service makes (the website drops its pages)."""
        self._listeners.append(listener)


LISTING_TTL = 2.0


def _listing_cache() -> TTLCache[Any, Any]:
    return TTLCache(ttl=LISTING_TTL, size=2048)
