"""Two Herald processes on one database (two `herald run` on one SQLite file): each due poll is
fetched by one of them, and each entry becomes one announcement whoever polls."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from adapters.feeds.fetch import HttpFetcher
from bot.feeds.service import FeedService
from bot.ports import ManualClock
from storage.engine import create_engine
from storage.migrate import upgrade
from storage.repository import Repository
from tests.delivery.support import add_chats, rows
from tests.feeds.site import Page, Site, rss
from tests.feeds.support import feed_service

ITEMS = [(f"urn:{i}", f"Entry {i}", f"body {i}") for i in range(4, 0, -1)]


@pytest.fixture
async def processes(
    database_url: str, clock: ManualClock
) -> AsyncIterator[tuple[list[Repository], list[FeedService]]]:
    """Two stacks, each with its own engine (its own connections) and fetcher."""
    engines = [create_engine(database_url), create_engine(database_url)]
    fetchers = [HttpFetcher("Herald/a"), HttpFetcher("Herald/b")]
    try:
        await upgrade(engines[0])
        repos = [Repository.for_engine(e) for e in engines]
        services = [feed_service(r, f, clock) for r, f in zip(repos, fetchers, strict=True)]
        yield repos, services
    finally:
        for fetcher in fetchers:
            await fetcher.close()
        for engine in engines:
            await engine.dispose()


async def test_a_due_poll_is_fetched_by_one_process_only(
    processes: tuple[list[Repository], list[FeedService]], clock: ManualClock, site: Site
) -> None:
    repos, (first, second) = processes
    site.pages["/rss"] = Page(rss(ITEMS[-1]), etag=False)
    source = (await first.add(site.url("/rss"), actor="cli:admin")).source
    site.pages["/rss"] = Page(rss(*ITEMS), etag=False)
    clock.advance(source.every.total_seconds())
    before = site.hits("/rss")
    # Both processes' jobs fire for the same due source at the same moment.
    reports = await asyncio.gather(first.poll_if_due(source.id), second.poll_if_due(source.id))
    assert site.hits("/rss") == before + 1
    assert sorted(r is None for r in reports) == [False, True]
    (report,) = [r for r in reports if r is not None]
    assert len(report.created) == 3
    # Not due again until the next poll the winner set; then again one of them fetches.
    assert await first.poll_if_due(source.id) is None
    assert site.hits("/rss") == before + 1
    polled = await repos[1].feeds.get(source.id)
    assert polled is not None
    assert polled.next_poll == clock.now() + source.every
    clock.advance(source.every.total_seconds())
    both = await asyncio.gather(second.poll_if_due(source.id), first.poll_if_due(source.id))
    assert site.hits("/rss") == before + 2
    assert sorted(r is None for r in both) == [False, True]
    # A paused source is claimed by nobody.
    await first.pause(source.id)
    clock.advance(timedelta(days=1).total_seconds())
    assert await second.poll_if_due(source.id) is None


async def test_two_processes_polling_at_once_make_each_entry_one_announcement(
    processes: tuple[list[Repository], list[FeedService]], clock: ManualClock, site: Site
) -> None:
    repos, (first, second) = processes
    await add_chats(repos[0].sessions, clock.now(), ["1", "2"])
    site.pages["/rss"] = Page(rss(ITEMS[-1]), etag=False)
    source = (await first.add(site.url("/rss"), actor="cli:admin")).source
    site.pages["/rss"] = Page(rss(*ITEMS), etag=False)
    # `herald feed poll` in both at once (no claim): both fetch, the entries stay single.
    reports = await asyncio.gather(
        *(service.poll(source.id) for service in (first, second, first, second))
    )
    assert len([i for r in reports for i in r.created]) == 3
    latest = await repos[1].announcements.latest(page=1, size=20)
    assert sorted(a.title for a in latest.items) == ["Entry 2", "Entry 3", "Entry 4"]
    assert len([r for r in await rows(repos[0].sessions) if r["action"] == "send"]) == 6
    site.pages["/rss"] = Page(rss(("urn:4", "Entry 4", "changed"), *ITEMS[1:]), etag=False)
    again = await asyncio.gather(first.poll(source.id), second.poll(source.id))
    assert sorted(len(r.edited) for r in again) == [0, 1]
    (edited,) = [i for r in again for i in r.edited]
    item = await repos[0].announcements.get(edited)
    # One edit (revision 1 → 2), not two; the unsent copies will show it.
    assert item is not None
    assert (item.body, item.revision) == ("changed", 2)
    assert len([r for r in await rows(repos[0].sessions) if r["action"] == "send"]) == 6
