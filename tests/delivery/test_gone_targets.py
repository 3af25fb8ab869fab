"""A chat found gone gets no further request: rows already claimed for it are skipped."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import DeliveryConfig, DeliveryEngine
from bot.ports import ManualClock
from storage.outbox import CHATS, SqlOutbox
from tests.delivery.support import RecordingPlatform, add_chats, publish, rows

IDS = [str(i) for i in range(1, 11)]
BLOCKED = "5"


async def test_rows_claimed_for_a_chat_found_gone_are_skipped_not_sent(
    sessions: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    platform: RecordingPlatform,
    config: DeliveryConfig,
) -> None:
    await add_chats(sessions, clock.now(), IDS)
    for n in range(3):  # three announcements: three rows per chat, claimed in one go
        await publish(sessions, clock.now(), title=f"Notice {n}")
    platform.blocked.add(BLOCKED)
    engine = DeliveryEngine(SqlOutbox(sessions), {"telegram": platform}, clock, config)
    for _ in range(4):  # a chat takes one message a second: the rest come due later
        await engine.run_until_idle(timeout=20)
        clock.advance(5)
    # One request found the chat gone; its other two rows never reached the platform.
    assert platform.calls - len(platform.sends) == 1
    assert platform.send_counts() == {chat: 3 for chat in IDS if chat != BLOCKED}
    mine = [r for r in await rows(sessions) if r["external_id"] == BLOCKED]
    assert [r["state"] for r in mine] == ["skipped"] * 3
    assert not mine[0]["active"]


async def test_a_chat_that_comes_back_gets_its_new_rows(
    sessions: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    platform: RecordingPlatform,
    config: DeliveryConfig,
) -> None:
    await add_chats(sessions, clock.now(), IDS)
    await publish(sessions, clock.now())
    platform.blocked.add(BLOCKED)
    engine = DeliveryEngine(SqlOutbox(sessions), {"telegram": platform}, clock, config)
    await engine.start()
    try:
        await engine.run_until_idle(timeout=20)
        # The member unblocks the bot and subscribes again; the next broadcast reaches them.
        platform.blocked.clear()
        async with sessions.begin() as session:
            await session.execute(
                update(CHATS).where(CHATS.c.external_id == BLOCKED).values(active=True)
            )
        await publish(sessions, clock.now(), title="Again")
        engine.wake()
        await engine.run_until_idle(timeout=20)
    finally:
        await engine.stop()
    assert platform.send_counts()[BLOCKED] == 1
