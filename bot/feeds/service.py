"""The feed service: adds sources, polls them, and turns new or changed entries into announcements.

Identity: an entry is its key (guid/id, else link, else content hash); the store's unique
(source, key) row is claimed in the same transaction that stores the announcement and its
outbox rows, so an entry becomes one announcement across restarts and replicas. A change
(another content hash, unless the entry's date went backwards) edits that announcement,
which edits every copy sent: text, styles, tags, the metadata line's category and signature,
and the photo. Entries that disappear are left alone.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import ClassVar
from urllib.parse import urlsplit

from bot.domain import PublishResult, Status
from bot.feeds.content.images import checked_image
from bot.feeds.entries import FeedEntry, FeedError, FeedParser
from bot.feeds.ports import FeedNotices, FeedStore, Fetched, Fetcher, FetchError
from bot.feeds.sources import (
    DEFAULT_EVERY,
    FeedSource,
    NewSource,
    SeenEntry,
    SourceKind,
    SourceMode,
)
from bot.formatting import Photo
from bot.photos import MAX_PHOTO_BYTES, PhotoError
from bot.ports import Clock
from bot.tags import DEFAULT_TAG_LIMITS, TagLimits, capped_tags

log = logging.getLogger(__name__)

# Admins hear about a source after this many failures in a row, and again when it recovers.
NOTICE_AFTER = 3
# Waits between tries grow as every × 2^failures, up to this.
MAX_BACKOFF = timedelta(hours=6)
# A server's Cache-Control max-age or Retry-After is honoured up to this.
MAX_SERVER_DELAY = timedelta(days=1)
# At most this many entries become announcements in one poll; older extras are taken as seen.
MAX_NEW_PER_POLL = 10
# An HTML news page's first items are fetched again on each changed poll, to follow edits.
RECHECK_ITEMS = 3
HTML_TYPES = ("text/html", "application/xhtml+xml")
# A due poll is claimed for this long: a process that dies mid-poll leaves it to another then.
POLL_LEASE = timedelta(minutes=10)


class SourceError(ValueError):
    """The address cannot be added as a source; the message says why in one line.

    `reason`: address (not http/https), backfill (negative), fetch (the fetch failed),
    not_feed (neither a feed nor a news page), no_items (an HTML page without news links);
    `detail` is the technical part (the fetch error, the parser's complaint).
    """

    MESSAGES: ClassVar[dict[str, str]] = {
        "address": "not an http or https address: {url}",
        "backfill": "--backfill must be 0 or more",
        "fetch": "cannot fetch {url}: {detail}",
        "not_feed": "not a feed: {detail}",
        "no_items": "an HTML page without news items, and not a feed",
    }

    def __init__(self, reason: str, url: str, detail: str = "") -> None:
        shown = url if len(url) <= 200 else url[:200] + "…"
        super().__init__(self.MESSAGES[reason].format(url=shown, detail=detail))
        self.reason = reason
        self.url = url
        self.detail = detail


class UnknownSource(LookupError):
    """No source with that id."""


@dataclass(frozen=True, slots=True)
class Added:
    """A source just added: how many entries it showed, and the announcements backfilled."""

    source: FeedSource
    entries: int
    created: tuple[int, ...] = ()


@dataclass(slots=True)
class PollReport:
    """What one poll did."""

    source_id: int
    status: str  # "changed", "not_modified", "failed", "paused"
    created: list[int] = field(default_factory=list)
    edited: list[int] = field(default_factory=list)
    error: str | None = None
    next_poll: datetime | None = None


# Longer addresses are refused: browsers and servers commonly stop at about this many.
MAX_URL_LENGTH = 2048


def valid_address(url: str) -> bool:
    """Whether `url` can be a source: http or https, a host name that encodes, not too long."""
    if len(url) > MAX_URL_LENGTH:
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname
        if parts.scheme not in ("http", "https") or not host:
            return False
        host.encode("idna")  # an empty or over-long label cannot be looked up
        _ = parts.port  # a port that is not a number raises here
    except (ValueError, UnicodeError):
        return False
    return True


def _jitter(seconds: float) -> float:
    # Not a secret: spreads polls so sources added together are not fetched together.
    return random.uniform(0.0, seconds)  # noqa: S311


class FeedService:
    """Sources added by admins, polled by the leader; entries in, announcements out."""

    def __init__(
        self,
        store: FeedStore,
        fetcher: Fetcher,
        parser: FeedParser,
        clock: Clock,
        *,
        notices: FeedNotices | None = None,
        notify: Callable[[], None] = lambda: None,
        changed: Callable[[], None] = lambda: None,
        jitter: Callable[[float], float] = _jitter,
        notice_after: int = NOTICE_AFTER,
        tag_limits: TagLimits = DEFAULT_TAG_LIMITS,
    ) -> None:
        self._store = store
        self._fetcher = fetcher
        self._parser = parser
        self._clock = clock
        self._notices = notices
        self._notify = notify
        self._changed = changed
        self._jitter = jitter
        self.notice_after = notice_after
        self.tag_limits = tag_limits
        # Called with (source id, next poll) after each poll: the scheduler re-plans the job.
        self.planned: Callable[[int, datetime], None] = lambda _id, _when: None

    # --- admin use cases -------------------------------------------------------------------

    async def add(
        self,
        url: str,
        *,
        actor: str,
        tags: Sequence[str] = (),
        mode: SourceMode = SourceMode.PUBLISH,
        every: timedelta = DEFAULT_EVERY,
        backfill: int = 0,
    ) -> Added:
        """Fetch `url`, decide whether it is a feed or a news page, keep it, and take what it
        shows now as seen (its newest `backfill` entries become announcements)."""
        url = url.strip()
        if not valid_address(url):
            raise SourceError("address", url)
        if backfill < 0:
            raise SourceError("backfill", url)
        try:
            fetched = await self._fetcher.fetch(url)
        except FetchError as exc:
            raise SourceError("fetch", url, exc.reason) from None
        kind, title, entries, links = self._detect(url, fetched)
        now = self._clock.now()
        source = await self._store.add(
            NewSource(url, kind, mode, every, tuple(tags), title),
            now=now,
            next_poll=now + every + timedelta(seconds=self._jitter(_spread(every))),
            actor=actor,
        )
        created: list[int] = []
        if kind is SourceKind.FEED:
            fresh = _unique(entries)
            backfilled = fresh[:backfill]
            await self._store.mark_seen(
                source.id,
                [(e.key, e.content_hash, e.updated) for e in fresh[backfill:]],
                now=now,
            )
            for entry in reversed(backfilled):
                result = await self._create(source, entry)
                if result is not None:
                    created.append(result.announcement.id)
            count = len(fresh)
        else:
            backfilled_links = links[:backfill]
            await self._store.mark_seen(
                source.id, [(link, "", None) for link in links[backfill:]], now=now
            )
            for link in reversed(backfilled_links):
                article = await self._article(link)
                if article is not None and (made := await self._create(source, article)):
                    created.append(made.announcement.id)
            count = len(links)
        await self._store.polled(
            source.id,
            now=now,
            next_poll=source.next_poll or now + every,
            etag=fetched.etag,
            last_modified=fetched.last_modified,
            title=title,
        )
        added = await self._store.get(source.id)
        return Added(added or source, count, tuple(created))

    def _detect(
        self, url: str, fetched: Fetched
    ) -> tuple[SourceKind, str | None, tuple[FeedEntry, ...], list[str]]:
        try:
            parsed = self._parser.parse_feed(
                fetched.body, content_type=fetched.content_type, url=fetched.url
            )
            return SourceKind.FEED, parsed.title, parsed.entries, []
        except FeedError as feed_error:
            if _is_html(fetched):
                try:
                    links = self._parser.parse_news_page(
                        fetched.body, content_type=fetched.content_type, url=fetched.url
                    )
                except FeedError as page_error:
                    raise SourceError("not_feed", url, str(page_error)) from None
                if links:
                    return SourceKind.HTML, None, (), list(dict.fromkeys(links))
                raise SourceError("no_items", url) from None
            raise SourceError("not_feed", url, str(feed_error)) from None

    async def sources(self) -> list[FeedSource]:
        """Every source, by id."""
        return await self._store.all()

    async def get(self, source_id: int) -> FeedSource:
        """One source; UnknownSource when there is none."""
        source = await self._store.get(source_id)
        if source is None:
            raise UnknownSource(source_id)
        return source

    async def pause(self, source_id: int) -> FeedSource:
        """Stop polling a source until resumed."""
        return await self._set_paused(source_id, True)

    async def resume(self, source_id: int) -> FeedSource:
        """Poll a paused source again (next poll: now)."""
        return await self._set_paused(source_id, False)

    async def _set_paused(self, source_id: int, paused: bool) -> FeedSource:
        now = self._clock.now()
        source = await self._store.set_paused(source_id, paused, next_poll=now)
        if source is None:
            raise UnknownSource(source_id)
        self.planned(source_id, now)
        return source

    async def remove(self, source_id: int) -> None:
        """Forget a source (its announcements stay)."""
        if not await self._store.remove(source_id):
            raise UnknownSource(source_id)

    # --- polling ---------------------------------------------------------------------------

    async def poll_due(self) -> list[PollReport]:
        """Poll every active source whose next poll has come (and this process claimed)."""
        now = self._clock.now()
        due = [
            s for s in await self._store.all()
            if not s.paused and (s.next_poll is None or s.next_poll <= now)
        ]  # fmt: skip
        reports = [await self.poll_if_due(source.id) for source in due]
        return [report for report in reports if report is not None]

    async def poll_if_due(self, source_id: int) -> PollReport | None:
        """Poll a source if it is due and this process claims it first (the scheduled poll).

        Two processes on one database (two `herald run` on one SQLite file, or a leadership
        change) both fire the job; the claim moves the next poll in one statement, so one of
        them polls and the other returns None. The claim lasts POLL_LEASE, the poll then sets
        the real next poll.
        """
        now = self._clock.now()
        if not await self._store.claim(source_id, now=now, until=now + POLL_LEASE):
            return None
        return await self.poll(source_id)

    async def poll_all(self) -> list[PollReport]:
        """Poll every active source now (`herald feed poll`)."""
        return [await self.poll(s.id) for s in await self._store.all() if not s.paused]

    async def poll(self, source_id: int, *, force: bool = False) -> PollReport:
        """Poll one source now: fetch (conditionally), parse, create and edit announcements."""
        source = await self.get(source_id)
        if source.paused and not force:
            return PollReport(source.id, "paused")
        try:
            fetched = await self._fetcher.fetch(
                source.url, etag=source.etag, last_modified=source.last_modified
            )
            report = PollReport(source.id, "not_modified" if fetched.not_modified else "changed")
            title = None
            if not fetched.not_modified:
                if source.kind is SourceKind.FEED:
                    title = await self._feed(source, fetched, report)
                else:
                    await self._page(source, fetched, report)
        except (FetchError, FeedError) as exc:
            return await self._failed(source, exc)
        await self._succeeded(source, fetched, title, report)
        return report

    async def _succeeded(
        self, source: FeedSource, fetched: Fetched, title: str | None, report: PollReport
    ) -> None:
        now = self._clock.now()
        wait = source.every
        if fetched.max_age is not None:
            wait = max(wait, min(timedelta(seconds=fetched.max_age), MAX_SERVER_DELAY))
        report.next_poll = now + wait + timedelta(seconds=self._jitter(_spread(wait)))
        await self._store.polled(
            source.id,
            now=now,
            next_poll=report.next_poll,
            etag=fetched.etag,
            last_modified=fetched.last_modified,
            title=title,
        )
        self.planned(source.id, report.next_poll)
        if source.failures >= self.notice_after and self._notices is not None:
            await self._notices.recovered(source, source.failures)

    async def _failed(self, source: FeedSource, exc: FetchError | FeedError) -> PollReport:
        now = self._clock.now()
        reason = exc.reason if isinstance(exc, FetchError) else f"unreadable: {exc}"
        reason = " ".join(reason.split())[:300]
        wait = min(source.every * (2 ** (source.failures + 1)), MAX_BACKOFF)
        retry_after = exc.retry_after if isinstance(exc, FetchError) else None
        if retry_after is not None:
            wait = max(wait, min(timedelta(seconds=retry_after), MAX_SERVER_DELAY))
        next_poll = now + wait + timedelta(seconds=self._jitter(_spread(wait)))
        failures = await self._store.failed(source.id, reason, now=now, next_poll=next_poll)
        log.warning(
            "feed %d (%s) failed %d time(s) in a row: %s; next try %s",
            source.id, source.url, failures, reason, next_poll.isoformat(timespec="seconds"),
        )  # fmt: skip
        self.planned(source.id, next_poll)
        if failures == self.notice_after and self._notices is not None:
            await self._notices.failing(source, failures, reason)
        return PollReport(source.id, "failed", error=reason, next_poll=next_poll)

    async def _feed(self, source: FeedSource, fetched: Fetched, report: PollReport) -> str | None:
        parsed = self._parser.parse_feed(
            fetched.body, content_type=fetched.content_type, url=fetched.url
        )
        entries = _unique(parsed.entries)
        seen = await self._store.seen(source.id, [e.key for e in entries])
        await self._apply(source, entries, seen, report)
        return parsed.title

    async def _page(self, source: FeedSource, fetched: Fetched, report: PollReport) -> None:
        links = list(
            dict.fromkeys(
                self._parser.parse_news_page(
                    fetched.body, content_type=fetched.content_type, url=fetched.url
                )
            )
        )
        seen = await self._store.seen(source.id, links)
        wanted = [link for link in links if link not in seen][:MAX_NEW_PER_POLL]
        wanted += [link for link in links[:RECHECK_ITEMS] if link in seen]
        entries: list[FeedEntry] = []
        for link in links:
            if link in wanted:
                entry = await self._article(link)
                if entry is not None:
                    entries.append(entry)
        await self._apply(source, entries, seen, report)

    async def _article(self, link: str) -> FeedEntry | None:
        """An item's full page as an entry keyed by its link; None (logged) when it fails."""
        try:
            fetched = await self._fetcher.fetch(link)
            entry = self._parser.parse_article(
                fetched.body, content_type=fetched.content_type, url=fetched.url
            )
        except (FetchError, FeedError) as exc:
            log.warning("feed item %s skipped: %s", link, exc)
            return None
        return replace(entry, key=link, link=entry.link or link)

    async def _apply(
        self,
        source: FeedSource,
        entries: Sequence[FeedEntry],
        seen: dict[str, SeenEntry],
        report: PollReport,
    ) -> None:
        new = [e for e in entries if e.key not in seen]
        if len(new) > MAX_NEW_PER_POLL:
            # A feed that renamed every entry at once must not flood the chats.
            skipped = new[MAX_NEW_PER_POLL:]
            log.warning(
                "feed %d shows %d new entries at once: the %d oldest are taken as seen",
                source.id, len(new), len(skipped),
            )  # fmt: skip
            await self._store.mark_seen(
                source.id,
                [(e.key, e.content_hash, e.updated) for e in skipped],
                now=self._clock.now(),
            )
            new = new[:MAX_NEW_PER_POLL]
        # Oldest first, so announcements come in the order the site published them.
        for entry in reversed(new):
            result = await self._create(source, entry)
            if result is not None:
                report.created.append(result.announcement.id)
        for entry in entries:
            before = seen.get(entry.key)
            if before is None or before.content_hash == entry.content_hash:
                continue
            if entry.updated and before.updated and entry.updated < before.updated:
                continue
            # The image again: a new one replaces the photo, none removes it; one that cannot
            # be fetched (or used) this time leaves the photo as it is.
            photo = await self._photo(entry.image_url)
            edited = await self._store.edit_announcement(
                source.id,
                key=entry.key,
                old_hash=before.content_hash,
                content_hash=entry.content_hash,
                updated=entry.updated,
                new=replace(entry.draft, tags=self._tags(source, entry), photo=photo),
                keep_photo=photo is None and entry.image_url is not None,
                now=self._clock.now(),
                actor=_actor(source),
            )
            if edited is not None:
                report.edited.append(edited.announcement.id)
                self._changed()
                if edited.deliveries:
                    self._notify()

    async def _create(self, source: FeedSource, entry: FeedEntry) -> PublishResult | None:
        draft = entry.draft
        new = replace(
            draft,
            tags=self._tags(source, entry),
            source_url=draft.source_url or entry.link,
            created_by=draft.created_by or _actor(source),
            photo=await self._photo(entry.image_url),
        )
        status = Status.PUBLISHED if source.mode is SourceMode.PUBLISH else Status.DRAFT
        result = await self._store.create_announcement(
            source.id,
            key=entry.key,
            content_hash=entry.content_hash,
            updated=entry.updated,
            new=new,
            status=status,
            now=self._clock.now(),
            actor=_actor(source),
        )
        if result is None:
            return None
        log.info(
            "feed %d: entry %s became announcement #%d (%s)",
            source.id, entry.key[:120], result.announcement.id, status.value,
        )  # fmt: skip
        self._changed()
        if result.deliveries:
            self._notify()
        if status is Status.DRAFT and self._notices is not None:
            await self._notices.draft(source, result)
        return result

    def _tags(self, source: FeedSource, entry: FeedEntry) -> tuple[str, ...]:
        """The source's tags, then the entry's own, each once, held to the tags-per-post cap
        and the tag rules of chat posts; what is left out is logged."""
        kept, left_out = capped_tags((*source.tags, *entry.draft.tags), self.tag_limits)
        if left_out:
            log.warning(
                "feed %d: entry %s carries tags past the cap of %d or unusable; left out: %s",
                source.id, entry.key[:120], self.tag_limits.per_post,
                ", ".join(t[:40] for t in left_out[:10]),
            )  # fmt: skip
        return tuple(kept)

    async def _photo(self, url: str | None) -> Photo | None:
        """The entry's first image, checked like an uploaded photo; None when unusable."""
        if not url:
            return None
        try:
            fetched = await self._fetcher.fetch(url, limit=MAX_PHOTO_BYTES)
            # bot.photos.checked_photo, the check of every uploaded photo, plus the
            # refusal of a tracking pixel that did not declare its size.
            return checked_image(fetched.body, fetched.url)
        except (FetchError, PhotoError) as exc:
            log.warning("feed image %s left out: %s", url[:200], exc)
            return None


def _actor(source: FeedSource) -> str:
    return f"feed:{source.id}"


def _unique(entries: Sequence[FeedEntry]) -> tuple[FeedEntry, ...]:
    """Entries with a key seen before in the same document dropped (the first one wins)."""
    kept: dict[str, FeedEntry] = {}
    for entry in entries:
        kept.setdefault(entry.key, entry)
    return tuple(kept.values())


def _spread(wait: timedelta) -> float:
    """How much jitter a wait gets: a tenth, at most two minutes."""
    return min(wait.total_seconds() / 10, 120.0)


def _is_html(fetched: Fetched) -> bool:
    content_type = (fetched.content_type or "").split(";")[0].strip().lower()
    if content_type in HTML_TYPES:
        return True
    head = fetched.body[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))
