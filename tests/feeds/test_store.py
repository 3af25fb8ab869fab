"""The feed store on SQLite and PostgreSQL: sources, seen entries, announcements claimed once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.domain import NewAnnouncement, Status
from bot.feeds.sources import DuplicateSource, NewSource, SourceKind, SourceMode
from bot.ports import ManualClock
from storage.repository import Repository
from tests.delivery.support import add_chats

SOURCE = NewSource(
    "https://society.example/rss",
    SourceKind.FEED,
    SourceMode.PUBLISH,
    timedelta(minutes=15),
    ("News", "Korea"),
    "Society news",
)


async def test_sources_are_kept_listed_paused_and_removed(
    repo: Repository, clock: ManualClock
) -> None:
    store = repo.feeds
    now = clock.now()
    source = await store.add(SOURCE, now=now, next_poll=now, actor="cli:admin")
    assert (source.url, source.kind, source.mode, source.tags) == (
        SOURCE.url, SourceKind.FEED, SourceMode.PUBLISH, ("News", "Korea"),
    )  # fmt: skip
    assert source.every == timedelta(minutes=15)
    assert source.next_poll == now
    with pytest.raises(DuplicateSource) as twice:
        await store.add(SOURCE, now=now, next_poll=now, actor="cli:admin")
    assert twice.value.source_id == source.id
    paused = await store.set_paused(source.id, True, next_poll=now)
    assert paused is not None
    assert paused.paused
    later = now + timedelta(hours=1)
    resumed = await store.set_paused(source.id, False, next_poll=later)
    assert resumed is not None
    assert (resumed.paused, resumed.next_poll) == (False, later)
    assert await store.set_paused(999, True, next_poll=now) is None
    assert [s.id for s in await store.all()] == [source.id]
    assert await store.remove(source.id)
    assert not await store.remove(source.id)
    assert await store.get(source.id) is None


async def test_polls_and_failures_are_recorded(repo: Repository, clock: ManualClock) -> None:
    store, now = repo.feeds, clock.now()
    source = await store.add(SOURCE, now=now, next_poll=now, actor="cli:admin")
    assert await store.failed(source.id, "HTTP 500", now=now, next_poll=now) == 1
    assert await store.failed(source.id, "HTTP 502", now=now, next_poll=now) == 2
    failing = await store.get(source.id)
    assert failing is not None
    assert (failing.failures, failing.last_error, failing.last_error_at) == (2, "HTTP 502", now)
    await store.polled(
        source.id, now=now, next_poll=now + timedelta(minutes=15), etag='"abc"',
        last_modified="Sat, 05 Dec 2026 10:00:00 GMT", title="Renamed",
    )  # fmt: skip
    good = await store.get(source.id)
    assert good is not None
    assert (good.failures, good.etag, good.title, good.last_success) == (0, '"abc"', "Renamed", now)
    assert good.last_error == "HTTP 502"


async def test_an_entry_becomes_one_announcement_however_often_it_is_claimed(
    repo: Repository, clock: ManualClock
) -> None:
    store, now = repo.feeds, clock.now()
    await add_chats(repo.sessions, now, ["10", "11"])
    source = await store.add(SOURCE, now=now, next_poll=now, actor="cli:admin")
    new = NewAnnouncement("Spring meeting", "Room 101.", tags=("News",), source_key="urn:1")

    async def claim() -> int | None:
        result = await store.create_announcement(
            source.id, key="urn:1", content_hash="a" * 64, updated=None, new=new,
            status=Status.PUBLISHED, now=now, actor=f"feed:{source.id}",
        )  # fmt: skip
        return None if result is None else result.deliveries

    results = await asyncio.gather(*(claim() for _ in range(4)))
    assert sorted(results, key=lambda r: r or 0) == [None, None, None, 2]
    seen = await store.seen(source.id, ["urn:1", "urn:2"])
    assert list(seen) == ["urn:1"]
    assert seen["urn:1"].announcement_id is not None
    counts = await repo.announcements.counts()
    assert counts.get("published") == 1


async def test_an_edit_applies_once_and_only_over_the_hash_it_read(
    repo: Repository, clock: ManualClock
) -> None:
    store, now = repo.feeds, clock.now()
    await add_chats(repo.sessions, now, ["10"])
    source = await store.add(SOURCE, now=now, next_poll=now, actor="cli:admin")
    new = NewAnnouncement("Spring meeting", "Room 101.")
    created = await store.create_announcement(
        source.id, key="k", content_hash="a", updated=None, new=new,
        status=Status.PUBLISHED, now=now, actor="feed:1",
    )  # fmt: skip
    assert created is not None

    async def edit(old: str, new_hash: str) -> int | None:
        result = await store.edit_announcement(
            source.id, key="k", old_hash=old, content_hash=new_hash, updated=None,
            new=NewAnnouncement("Spring meeting moved", "Room 202.", tags=("News",)),
            keep_photo=True, now=now, actor="feed:1",
        )  # fmt: skip
        return None if result is None else result.announcement.revision

    assert await edit("a", "b") == 2
    assert await edit("a", "c") is None
    shown = await repo.announcements.get(created.announcement.id)
    assert shown is not None
    assert (shown.title, shown.body, shown.tags) == ("Spring meeting moved", "Room 202.", ("News",))
    await repo.announcements.retract(created.announcement.id, now=now, actor="cli:admin")
    assert await edit("b", "d") is None
    assert (await store.seen(source.id, ["k"]))["k"].content_hash == "d"


async def test_marked_entries_are_seen_without_announcements(
    repo: Repository, clock: ManualClock
) -> None:
    store, now = repo.feeds, clock.now()
    source = await store.add(SOURCE, now=now, next_poll=now, actor="cli:admin")
    keys = [(f"k{i}", "h", None) for i in range(1200)]
    assert await store.mark_seen(source.id, keys, now=now) == 1200
    assert await store.mark_seen(source.id, keys[:5], now=now) == 0
    seen = await store.seen(source.id, [k for k, _, _ in keys])
    assert len(seen) == 1200
    assert all(s.announcement_id is None for s in seen.values())
    assert await repo.announcements.counts() == {}
