"""One job per source at its next poll; only the leading replica polls."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.feeds.fetch import HttpFetcher
from bot.feeds.scheduler import FeedScheduler
from bot.ports import ManualClock
from storage.repository import Repository
from tests.feeds.site import Page, Site, rss
from tests.feeds.support import feed_service


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite: leadership itself is the HeraldScheduler's (tested with it)."""
    return f"sqlite+aiosqlite:///{tmp_path / 'herald.db'}"


@pytest.fixture
def clock() -> ManualClock:
    """Now: APScheduler fires by the real clock."""
    return ManualClock(datetime.now(UTC))


async def _until(predicate: Callable[[], bool], seconds: float = 3.0) -> None:
    """Poll `predicate` (APScheduler runs the jobs on its own; nothing to wait on)."""
    for _ in range(int(seconds / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")


async def test_jobs_follow_the_sources_and_only_the_leader_polls(
    repo: Repository, clock: ManualClock, site: Site, fetcher: HttpFetcher
) -> None:
    site.pages["/a"] = Page(rss(("urn:1", "One", "x")))
    site.pages["/b"] = Page(rss(("urn:2", "Two", "y")))
    feeds = feed_service(repo, fetcher, clock)
    a = (await feeds.add(site.url("/a"), actor="cli:admin")).source
    b = (await feeds.add(site.url("/b"), actor="cli:admin")).source
    leading = False
    jobs = FeedScheduler(feeds, clock, leading=lambda: leading, jitter=lambda _s: 0.0)
    await jobs.start()
    try:
        assert jobs.jobs() == {a.id: a.next_poll, b.id: b.next_poll}
        await feeds.pause(b.id)
        await jobs.resync()
        assert set(jobs.jobs()) == {a.id}
        # A is due now: a follower lets it pass, the leader polls it.
        hits = site.hits("/a")
        await repo.feeds.postpone(a.id, next_poll=clock.now() - timedelta(seconds=1))
        await jobs.resync()
        await asyncio.sleep(0.2)
        assert site.hits("/a") == hits
        leading = True
        await jobs.resync()
        await _until(lambda: site.hits("/a") > hits)
        await _until(lambda: jobs.jobs().get(a.id, clock.now()) > clock.now())
        assert jobs.jobs()[a.id] == clock.now() + timedelta(minutes=15)
        await feeds.remove(a.id)
        await jobs.resync()
        assert jobs.jobs() == {}
    finally:
        await jobs.stop()
    assert not jobs.running
