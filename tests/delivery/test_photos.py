"""An announcement's photo reaches the outbound message, read once per announcement."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.delivery import render
from bot.formatting import Photo
from bot.ports import ManualClock
from storage import outbox
from storage.outbox.tables import DELIVERIES
from storage.photos import add_photo
from tests.delivery.support import add_chats, publish
from tests.images import png

PHOTO = Photo(png(), "image/png", "p.png")


def _photo_reads(engine: AsyncEngine) -> list[str]:
    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        # The photo bytes (the announcements' read names the photo's digest only).
        if "announcement_photos.data" in statement:
            seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    return seen


async def test_rows_of_one_announcement_share_one_photo_read(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], clock: ManualClock
) -> None:
    await add_chats(sessions, clock.now(), ["1", "2", "3"])
    with_photo, _ = await publish(sessions, clock.now(), "With photo")
    plain, _ = await publish(sessions, clock.now(), "Plain")
    async with sessions.begin() as session:
        await add_photo(session, with_photo, PHOTO, clock.now())
    reads = _photo_reads(engine)
    cache: dict[int, Photo | None] = {}
    async with sessions.begin() as session:
        ids = [int(i) for i in await session.scalars(select(DELIVERIES.c.id))]
        loaded = await outbox.load(session, ids, photo_cache=cache)
    assert len(reads) == 1
    shown = [r for r in loaded if r.announcement_id == with_photo]
    assert len(shown) == 3
    assert all(r.content is shown[0].content for r in shown)
    assert shown[0].content is not None
    message = render(shown[0], shown[0].content)
    assert message.photo == PHOTO
    others = [r for r in loaded if r.announcement_id == plain]
    assert [r.content.photo for r in others if r.content is not None] == [None] * 3
    async with sessions.begin() as session:
        await outbox.load(session, ids, photo_cache=cache)
    assert len(reads) == 1  # both announcements are known now, with or without a photo
    async with sessions.begin() as session:
        again = await outbox.load(session, ids)
    assert len(reads) == 2
    assert [r.content.photo for r in again if r.content and r.announcement_id == with_photo] == [
        PHOTO
    ] * 3
