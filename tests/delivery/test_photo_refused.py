"""A photo Telegram refuses for what it is goes up once: the announcement then goes as text."""

from __future__ import annotations

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
from storage.outbox import SqlOutbox
from storage.photos import add_photo
from tests.delivery.support import add_chats, edit, publish
from tests.fakes.telegram_api import FakeTelegram
from tests.images import png

CHATS = [str(3000 + i) for i in range(50)]
# 12,000 × 100: width + height over 10,000 (and a ratio of 120): PHOTO_INVALID_DIMENSIONS.
STRIP = Photo(png(12_000, 100), "image/png", "strip.png")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


async def test_a_refused_photo_is_uploaded_once_and_the_rest_go_as_text_with_a_note(
    sessions: async_sessionmaker[AsyncSession], clock: ManualClock, fake: FakeTelegram
) -> None:
    await add_chats(sessions, clock.now(), CHATS)
    aid, _ = await publish(sessions, clock.now(), title="Panorama", body="The view from the hill.")
    async with sessions.begin() as session:
        await add_photo(session, aid, STRIP, clock.now())
    told: list[tuple[int, str, str]] = []

    async def tell(announcement: int, platform: str, reason: str) -> None:
        told.append((announcement, platform, reason))

    config = DeliveryConfig(
        rates={"telegram": math.inf}, poll_interval=0.05, flush_interval=0.01,
        photo_refused=tell, photo_note=lambda language: f"[no photo, {language}]",
    )
    request = AiohttpRequest(connection_pool_size=64)
    async with Bot(fake.token, base_url=fake.base_url, request=request) as bot:
        telegram = TelegramPlatform(bot, TelegramConfig(token=fake.token))
        engine = DeliveryEngine(SqlOutbox(sessions), {"telegram": telegram}, clock, config)
        await engine.run_until_idle(timeout=30)
        # After a restart nobody remembers the refusal: an edit still reaches the text copies.
        await edit(sessions, clock.now(), aid, "Panorama, corrected")
        fresh = TelegramPlatform(bot, TelegramConfig(token=fake.token))
        again = DeliveryEngine(SqlOutbox(sessions), {"telegram": fresh}, clock, config)
        await again.run_until_idle(timeout=30)
    assert fake.files.refused_uploads == 1
    assert len(fake.calls("sendPhoto")) == 1
    for chat in CHATS:
        [message] = fake.sent_to(int(chat))
        assert message.kind == "text"
        assert message.text.startswith("Panorama, corrected")
        assert message.edits
        assert message.edits[0].endswith("[no photo, en]")
    assert len(told) == 1
    assert told[0][:2] == (aid, "telegram")
    assert "photo_invalid_dimensions" in told[0][2].lower()
    status = (await delivery_status(SqlOutbox(sessions), aid)).total
    assert (status.sent, status.dead) == (len(CHATS), 0)
    edits = (await delivery_status(SqlOutbox(sessions), aid, action="edit")).total
    assert (edits.sent, edits.dead) == (len(CHATS), 0)
