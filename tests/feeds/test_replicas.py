"""Two replicas on one PostgreSQL database polling the same source: each entry once."""

from __future__ import annotations

import asyncio

import pytest

from adapters.feeds.fetch import HttpFetcher
from bot.ports import ManualClock
from storage.engine import create_engine
from storage.migrate import upgrade
from storage.repository import Repository
from tests.delivery.support import add_chats, rows
from tests.feeds.site import Page, Site, rss
from tests.feeds.support import feed_service

pytestmark = pytest.mark.postgres


async def test_two_replicas_polling_at_once_make_each_entry_one_announcement(
    pg_database: str, clock: ManualClock, site: Site
) -> None:
    engines = [create_engine(pg_database), create_engine(pg_database)]
    fetchers = [HttpFetcher("Herald/a"), HttpFetcher("Herald/b")]
    try:
        await upgrade(engines[0])
        repos = [Repository.for_engine(e) for e in engines]
        await add_chats(repos[0].sessions, clock.now(), ["1", "2"])
        first, second = (feed_service(r, f, clock) for r, f in zip(repos, fetchers, strict=True))
        site.pages["/rss"] = Page(rss(("urn:0", "Old", "o")), etag=False)
        source = (await first.add(site.url("/rss"), actor="cli:admin")).source
        items = [(f"urn:{i}", f"Entry {i}", f"body {i}") for i in range(6, 0, -1)]
        site.pages["/rss"] = Page(rss(*items), etag=False)
        reports = await asyncio.gather(
            *(service.poll(source.id) for service in (first, second, first, second))
        )
        created = [i for report in reports for i in report.created]
        assert len(created) == 6
        latest = await repos[1].announcements.latest(page=1, size=20)
        assert sorted(a.title for a in latest.items) == sorted(t for _, t, _ in items)
        sends = [r for r in await rows(repos[0].sessions) if r["action"] == "send"]
        assert len(sends) == 12
        # Both see the same edit: one edit, one set of edit rows.
        site.pages["/rss"] = Page(rss(("urn:6", "Entry 6", "changed"), *items[1:]), etag=False)
        again = await asyncio.gather(first.poll(source.id), second.poll(source.id))
        assert sorted(len(r.edited) for r in again) == [0, 1]
        edits = [r for r in await rows(repos[0].sessions) if r["action"] == "edit"]
        assert len(edits) <= 2
    finally:
        for fetcher in fetchers:
            await fetcher.close()
        for engine in engines:
            await engine.dispose()
