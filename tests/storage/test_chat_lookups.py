"""Chat lookups in bursts: one query per event-loop tick, right languages, bounded staleness."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain import ChatKind, ChatRef
from bot.ports import ManualClock
from bot.services.access import AccessService
from bot.services.announcements import AnnouncementService
from bot.services.chats import CHAT_TTL, ChatService
from bot.services.known_chats import KnownChats
from storage.repository import Repository
from tests.storage.util import post


class Ticker:
    """A monotonic clock moved by hand, for cache lifetimes."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """Every SQL statement the engine runs inside the block."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


def chat_reads(seen: list[str]) -> list[str]:
    return [s for s in seen if s.lstrip().upper().startswith("SELECT") and "FROM chats" in s]


def row_reads(seen: list[str]) -> list[str]:
    """Reads of chats' rows (not of the list of recorded keys)."""
    return [s for s in chat_reads(seen) if "chats.language" in s]


def private(user: int) -> ChatRef:
    return ChatRef("telegram", str(user), ChatKind.PRIVATE)


async def test_200_concurrent_lookups_are_one_query_with_the_right_languages(
    repo: Repository, engine: AsyncEngine, clock: ManualClock
) -> None:
    languages = ("en", "ru", "ko", None)
    for user in range(100):
        chat = await repo.chats.ensure(private(user), now=clock.now())
        language = languages[user % 4]
        if language is not None:
            await repo.chats.set_language(chat.id, language)
    chats = ChatService(repo.chats, clock, "ru")
    with statements(engine) as seen:
        # Users 0-99 are recorded; 100-199 have never been seen.
        found = await asyncio.gather(*(chats.lookup(private(user)) for user in range(200)))
    # One read of the recorded keys, one of the recorded chats' rows; nothing for the others.
    assert len(chat_reads(seen)) == 2
    assert len(row_reads(seen)) == 1
    assert "IN (" in row_reads(seen)[0]
    assert row_reads(seen)[0].count("?") + row_reads(seen)[0].count("%(") >= 100
    for user, chat in enumerate(found):
        assert chat.external_id == str(user)
        if user < 100:
            assert chat.id > 0
            assert chat.language == languages[user % 4]
            assert chats.language_of(chat, "ko") == (languages[user % 4] or "ko")
        else:
            assert (chat.id, chat.language) == (0, None)
            assert chats.language_of(chat, None) == "ru"
    # Known and unknown chats alike are now cached: a second burst reads nothing.
    with statements(engine) as seen:
        again = await asyncio.gather(*(chats.lookup(private(user)) for user in range(200)))
    assert again == found
    assert chat_reads(seen) == []


async def test_one_chat_asked_for_many_times_at_once_is_one_key(
    repo: Repository, engine: AsyncEngine, clock: ManualClock
) -> None:
    await repo.chats.ensure(private(7), now=clock.now())
    chats = ChatService(repo.chats, clock)
    with statements(engine) as seen:
        found = await asyncio.gather(*(chats.lookup(private(7)) for _ in range(50)))
    assert len({chat.id for chat in found}) == 1
    assert len(row_reads(seen)) == 1


async def test_chats_never_recorded_cost_no_query_until_the_ttl(
    repo: Repository, other_repo: Repository, engine: AsyncEngine, clock: ManualClock
) -> None:
    ticker = Ticker()
    chats = ChatService(repo.chats, clock, ticker=ticker)
    await chats.lookup(private(1))
    with statements(engine) as seen:
        found = await asyncio.gather(*(chats.lookup(private(user)) for user in range(2, 300)))
    assert seen == []
    assert {chat.id for chat in found} == {0}
    # Recorded here: known at once. Recorded by another process: known after the TTL.
    here = await chats.ensure(private(2))
    await chats.set_language(here, "ko")
    assert (await chats.lookup(private(2))).language == "ko"
    there = await other_repo.chats.ensure(private(3), now=clock.now())
    await other_repo.chats.set_language(there.id, "ru")
    assert (await chats.lookup(private(3))).id == 0
    ticker.now += CHAT_TTL + 1
    assert (await chats.lookup(private(3))).language == "ru"


async def test_beyond_the_key_limit_every_chat_is_looked_up(
    repo: Repository, engine: AsyncEngine, clock: ManualClock
) -> None:
    for user in range(3):
        await repo.chats.ensure(private(user), now=clock.now())
    assert await repo.chats.keys(limit=3) == {
        ("telegram", "0"),
        ("telegram", "1"),
        ("telegram", "2"),
    }
    assert await repo.chats.keys(limit=2) is None
    known = KnownChats(repo.chats.keys, ttl=CHAT_TTL, limit=2)
    assert await known.may_exist(("telegram", "99"))
    assert known.loads == 1


async def test_a_language_set_by_another_process_is_seen_after_the_ttl(
    repo: Repository, other_repo: Repository, clock: ManualClock
) -> None:
    ticker = Ticker()
    chats = ChatService(repo.chats, clock, ticker=ticker)
    recorded = await repo.chats.ensure(private(1), now=clock.now())
    assert (await chats.lookup(private(1))).language is None
    # Never seen here yet: the lookup caches a stand-in, which must not outlive the TTL either.
    assert (await chats.lookup(private(2))).id == 0

    await other_repo.chats.set_language(recorded.id, "ko")
    newcomer = await other_repo.chats.ensure(private(2), now=clock.now())
    await other_repo.chats.set_language(newcomer.id, "ru")
    ticker.now += CHAT_TTL - 1
    assert (await chats.lookup(private(1))).language is None
    assert (await chats.lookup(private(2))).id == 0
    ticker.now += 2
    assert (await chats.lookup(private(1))).language == "ko"
    again = await chats.lookup(private(2))
    assert (again.id, again.language) == (newcomer.id, "ru")


async def test_a_local_change_during_a_lookup_is_never_hidden_by_it(
    repo: Repository, clock: ManualClock
) -> None:
    chats = ChatService(repo.chats, clock)
    chat = await chats.ensure(private(5))
    # A lookup is sent; the language changes before (or while) it reads.
    early = asyncio.create_task(chats.lookup(private(5)))
    await asyncio.sleep(0)
    await chats.set_language(chat, "ko")
    assert (await early).language in (None, "ko")
    # Whatever the early read saw, it was not kept: this process shows its own change at once.
    assert (await chats.lookup(private(5))).language == "ko"
    assert (await chats.lookup(private(5))).language == "ko"


async def test_admins_are_read_once_for_a_burst_of_commands(
    repo: Repository, engine: AsyncEngine, clock: ManualClock
) -> None:
    await repo.admins.add("telegram:9", by="telegram:1", now=clock.now())
    access = AccessService(["telegram:1"], repo.admins)
    with statements(engine) as seen:
        answers = await asyncio.gather(
            *(access.is_admin(f"telegram:{user}") for user in range(2, 60))
        )
    assert answers == [user == 9 for user in range(2, 60)]
    assert len([s for s in seen if "FROM admins" in s]) == 1


async def test_a_burst_asking_one_tag_page_reads_it_once(
    repo: Repository, engine: AsyncEngine, clock: ManualClock
) -> None:
    await post(repo, clock, "Liberation Day", tags=("Korea",))
    with statements(engine) as alone:
        await AnnouncementService(repo.announcements, clock).by_tag("Korea")
    announcements = AnnouncementService(repo.announcements, clock)
    with statements(engine) as seen:
        pages = await asyncio.gather(*(announcements.by_tag("Korea") for _ in range(100)))
    assert {tag.count for tag, _ in pages} == {1}
    assert [a.title for a in pages[0][1].items] == ["Liberation Day"]
    assert alone
    assert len(seen) == len(alone)
    with statements(engine) as seen:
        await announcements.by_tag("korea")
    assert seen == []
