"""A photo broadcast uploads once; the file id it learns is stored and reused after a restart."""

from __future__ import annotations

import hashlib
import math
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot

from adapters.telegram.config import TelegramConfig
from adapters.telegram.platform import TelegramPlatform
from adapters.telegram.transport import AiohttpRequest
from bot.delivery import DeliveryConfig, DeliveryEngine, delivery_status
from bot.formatting import Photo
from bot.ports import ManualClock
from storage.file_ids import FileIdStore
from storage.outbox import SqlOutbox
from storage.photos import add_photo
from tests.delivery.support import add_chats, publish
from tests.fakes.telegram_api import FakeTelegram
from tests.images import png

CHATS = [str(4000 + i) for i in range(30)]
LATER = [str(5000 + i) for i in range(5)]
PHOTO = Photo(png(40, 30), "image/png", "meeting.png")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


async def test_broadcast_uploads_once_and_a_restarted_process_sends_by_the_stored_id(
    sessions: async_sessionmaker[AsyncSession], clock: ManualClock, fake: FakeTelegram
) -> None:
    await add_chats(sessions, clock.now(), CHATS)
    aid, _ = await publish(sessions, clock.now(), title="Meeting", body="Room 101.")
    async with sessions.begin() as session:
        await add_photo(session, aid, PHOTO, clock.now())
    file_ids = FileIdStore(sessions)
    config = DeliveryConfig(rates={"telegram": math.inf}, poll_interval=0.05, flush_interval=0.01)
    request = AiohttpRequest(connection_pool_size=64)
    async with Bot(fake.token, base_url=fake.base_url, request=request) as bot:
        telegram = TelegramPlatform(bot, TelegramConfig(token=fake.token), file_ids=file_ids)
        engine = DeliveryEngine(SqlOutbox(sessions), {"telegram": telegram}, clock, config)
        await engine.run_until_idle(timeout=30)
        assert len(fake.files.uploads) == 1  # every other chat got it by the upload's id
        stored = await file_ids.get("telegram", hashlib.sha256(PHOTO.data).hexdigest())
        assert stored is not None
        assert [m.file_id for c in CHATS for m in fake.sent_to(int(c))] == [stored] * len(CHATS)
        # A restart (or another worker) knows nothing in memory: the store has the id.
        await add_chats(sessions, clock.now(), LATER)
        later, _ = await publish(sessions, clock.now(), title="Meeting again", body="Room 102.")
        async with sessions.begin() as session:
            await add_photo(session, later, PHOTO, clock.now())
        fresh = TelegramPlatform(bot, TelegramConfig(token=fake.token), file_ids=file_ids)
        again = DeliveryEngine(SqlOutbox(sessions), {"telegram": fresh}, clock, config)
        await again.run_until_idle(timeout=30)
    assert len(fake.files.uploads) == 1
    assert fresh.photos.uploaded == 0
    for chat in LATER:
        assert [m.file_id for m in fake.sent_to(int(chat))] == [stored]  # the second post only
    status = (await delivery_status(SqlOutbox(sessions), later)).total
    assert (status.sent, status.dead) == (len(CHATS) + len(LATER), 0)
