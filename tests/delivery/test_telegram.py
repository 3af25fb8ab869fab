"""The engine through the real Telegram Platform and the fake Bot API on loopback."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot

from adapters.telegram.config import TelegramConfig
from adapters.telegram.platform import TelegramPlatform
from adapters.telegram.transport import AiohttpRequest
from bot.delivery import DeliveryConfig, DeliveryEngine, dead_letters, delivery_status
from bot.ports import ManualClock
from storage.outbox import SqlOutbox
from tests.delivery.support import add_chats, edit, publish, retract, rows
from tests.fakes.telegram_api import FakeTelegram

USERS = list(range(1001, 1201))
GROUPS = list(range(-510, -500))
NEW_GROUP = -1000000000501


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def telegram(fake: FakeTelegram) -> AsyncIterator[TelegramPlatform]:
    # Long enough that a loaded machine's slow answer is not taken for a hang (a timed-out
    # send that the fake did deliver is sent again: at least once), short enough for the hangs.
    request = AiohttpRequest(read_timeout=2.0, connection_pool_size=64)
    async with Bot(fake.token, base_url=fake.base_url, request=request) as bot:
        yield TelegramPlatform(bot, TelegramConfig(token=fake.token))


async def drain(engine: DeliveryEngine, clock: ManualClock) -> None:
    for _ in range(8):
        await engine.run_until_idle(timeout=30)
        clock.advance(3600)


async def test_broadcast_edit_retract_through_the_fake_bot_api(
    sessions: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    fake: FakeTelegram,
    telegram: TelegramPlatform,
) -> None:
    await add_chats(sessions, clock.now(), [str(u) for u in USERS])
    await add_chats(sessions, clock.now(), [str(g) for g in GROUPS], kind="group")
    for user in USERS[:20]:
        fake.fail("sendMessage", "retry_after", chat_id=user, retry_after=2)
    for user in USERS[20:30]:
        fake.fail("sendMessage", "server_error", chat_id=user, times=2, status=502)
    for user in USERS[30:33]:
        fake.fail("sendMessage", "hang", chat_id=user)
    blocked = USERS[33:38]
    for user in blocked:
        fake.block(user)
    bad = USERS[38]
    fake.fail("sendMessage", "bad_request", chat_id=bad, times=None,
              description="Bad Request: can't parse entities")
    fake.migrate(GROUPS[0], NEW_GROUP, service_message=False)

    aid, count = await publish(sessions, clock.now(), title="Spring <meeting>", body="Room 1 & 2")
    assert count == len(USERS) + len(GROUPS)
    config = DeliveryConfig(rates={"telegram": math.inf}, send_timeout=5, poll_interval=0.05)
    engine = DeliveryEngine(SqlOutbox(sessions), {"telegram": telegram}, clock, config)
    await drain(engine, clock)

    reachable = [c for c in USERS + GROUPS[1:] if c not in blocked and c != bad] + [NEW_GROUP]
    assert all(len(fake.sent_to(c)) == 1 for c in reachable)
    assert all(fake.sent_to(c) == [] for c in [*blocked, bad, GROUPS[0]])
    assert fake.sent_count == len(reachable)
    assert "Spring <meeting>" in fake.sent_to(USERS[0])[0].text
    status = (await delivery_status(SqlOutbox(sessions), aid)).platforms["telegram"]
    assert (status.sent, status.skipped, status.dead, status.open) == (len(reachable), 5, 1, 0)
    assert [d.external_id for d in await dead_letters(SqlOutbox(sessions))] == [str(bad)]
    async with sessions() as session:
        moved = (
            await session.execute(text("SELECT external_id FROM chats WHERE kind = 'group'"))
        ).scalars().all()
    assert str(NEW_GROUP) in moved
    assert str(GROUPS[0]) not in moved

    await edit(sessions, clock.now(), aid, "Spring meeting: room 7")
    await drain(engine, clock)
    assert all(
        fake.sent_to(c)[0].text.startswith("Spring meeting: room 7") for c in reachable
    )
    old_user = USERS[50]
    fake.age_message(old_user, fake.sent_to(old_user)[0].message_id, 49 * 3600)
    await retract(sessions, clock.now(), aid)
    await drain(engine, clock)
    assert fake.sent_to(old_user)[0].text == "This announcement was withdrawn."
    assert all(fake.sent_to(c) == [] for c in reachable if c != old_user)
    assert not [r for r in await rows(sessions) if r["state"] == "pending"]
