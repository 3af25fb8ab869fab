"""Claiming reads an announcement's text once per revision, and never serves a stale one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.ports import ManualClock
from storage import outbox
from tests.delivery.support import add_chats, edit, publish, retract


def _text_reads(engine: AsyncEngine) -> list[str]:
    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().startswith("SELECT announcements.id, announcements.title"):
            seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    return seen


async def _claim(
    sessions: async_sessionmaker[AsyncSession], clock: ManualClock, cache: outbox.ContentCache,
    limit: int = 1,
) -> list[outbox.Claimed]:
    async with sessions.begin() as session:
        return await outbox.claim(
            session, platforms=["telegram"], owner="w", now=clock.now(), lease_seconds=60,
            limit=limit, contents=cache,
        )


async def test_one_read_per_revision_and_status(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], clock: ManualClock
) -> None:
    await add_chats(sessions, clock.now(), ["1", "2", "3", "4"])
    aid, _ = await publish(sessions, clock.now(), title="v1")
    reads = _text_reads(engine)
    cache = outbox.ContentCache()
    first = await _claim(sessions, clock, cache)
    second = await _claim(sessions, clock, cache)
    assert len(reads) == 1
    assert first[0].content is second[0].content
    assert first[0].content is not None
    assert (first[0].content.title, first[0].content.revision) == ("v1", 1)

    await edit(sessions, clock.now(), aid, "v2")  # rows still pending now show revision 2
    third = await _claim(sessions, clock, cache)
    assert len(reads) == 2
    assert third[0].content is not None
    assert (third[0].content.title, third[0].content.revision) == ("v2", 2)

    await retract(sessions, clock.now(), aid)
    async with sessions.begin() as session:
        loaded = await outbox.load(session, [first[0].id], contents=cache)
    assert len(reads) == 3
    assert loaded[0].content is not None
    assert loaded[0].content.status == "retracted"
    assert loaded[0].chat_id == first[0].chat_id
    assert loaded[0].external_id == first[0].external_id
