"""Web views: once per visitor, announcement and day; no address stored; crawlers not counted.

A visitor is HMAC-SHA256(secret, address + user agent), with a random secret that exists only in
this process's memory and is replaced at the society's midnight: yesterday's hashes cannot be
linked to today's, nor turned back into an address by anyone holding the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import re
import secrets
from datetime import date
from zoneinfo import ZoneInfo

from bot.ports import Clock
from bot.site.ports import SiteStore, WebView

log = logging.getLogger("herald.site")

# Search engines, feed fetchers and the link-preview fetchers of chat apps: never counted.
CRAWLER = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|preview|fetch|scrap|monitor|curl|wget|python-|"
    r"httpx|aiohttp|go-http|java/|okhttp|headless|lighthouse|facebookexternalhit|"
    r"embedly|whatsapp|telegram|discord|slack|skype|vkshare|yandex|baidu|feed|rss|"
    r"archive\.org|ia_archiver",
    re.IGNORECASE,
)
FLUSH_SECONDS = 2.0
# Visitors remembered per day before the set is trimmed; the unique key still dedupes after.
MAX_SEEN = 200_000


def is_crawler(user_agent: str) -> bool:
    """Whether a user agent is a crawler, a preview fetcher or a script (or says nothing)."""
    return not user_agent.strip() or CRAWLER.search(user_agent) is not None


class ViewCounter:
    """Counts permalink views in memory and writes them in batches, off the request path."""

    def __init__(self, store: SiteStore, clock: Clock, zone: ZoneInfo) -> None:
        self._store = store
        self._clock = clock
        self._zone = zone
        self._day: date | None = None
        self._secret = b""
        self._seen: set[tuple[int, str]] = set()
        self._pending: list[WebView] = []
        self._task: asyncio.Task[None] | None = None

    def today(self) -> date:
        """The society's local date now."""
        return self._clock.now().astimezone(self._zone).date()

    def visitor(self, address: str, user_agent: str) -> str:
        """Today's keyed hash of a visitor; the secret is new every day."""
        self._roll()
        material = f"{address}\n{user_agent}".encode()
        return hmac.new(self._secret, material, hashlib.sha256).hexdigest()[:32]

    def count(self, announcement_id: int, address: str, user_agent: str) -> bool:
        """Note one view; False when it is a crawler's or this visitor's second today."""
        if is_crawler(user_agent):
            return False
        visitor = self.visitor(address, user_agent)
        key = (announcement_id, visitor)
        if key in self._seen:
            return False
        if len(self._seen) >= MAX_SEEN:
            self._seen.clear()
        self._seen.add(key)
        assert self._day is not None
        self._pending.append(WebView(announcement_id, self._day, visitor))
        return True

    async def flush(self) -> int:
        """Write the views noted so far; how many were new in the store."""
        batch, self._pending = self._pending, []
        if not batch:
            return 0
        try:
            return await self._store.record_views(batch)
        except Exception:
            log.warning("could not store %d web views; trying again later", len(batch))
            self._pending = batch + self._pending
            return 0

    def start(self) -> None:
        """Flush in the background every FLUSH_SECONDS."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="web-views")

    async def stop(self) -> None:
        """Stop the background flush and write what is left."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            await self.flush()

    def _roll(self) -> None:
        today = self.today()
        if today != self._day:
            self._day = today
            self._secret = secrets.token_bytes(32)
            self._seen.clear()
