"""A broadcast through scripted faults: every deliverable chat once, the rest accounted for."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import DeliveryConfig, DeliveryEngine, dead_letters, delivery_status
from bot.delivery.status import retry_dead_letters
from bot.ports import (
    BadMessage,
    ManualClock,
    MessageKind,
    OutboundMessage,
    RetryLater,
    Target,
    Transient,
)
from storage import outbox
from storage.outbox import SqlOutbox
from tests.delivery.support import HANG, RecordingPlatform, add_chats, publish, rows


async def drain(engine: DeliveryEngine, clock: ManualClock, rounds: int = 12) -> None:
    """Run to idle, then move the clock past every backoff, until nothing is left."""
    for _ in range(rounds):
        await engine.run_until_idle(timeout=20)
        clock.advance(3600)
    await engine.run_until_idle(timeout=20)


async def test_broadcast_through_faults(
    sessions: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    platform: RecordingPlatform,
    config: DeliveryConfig,
) -> None:
    chats = [str(1000 + i) for i in range(300)]
    await add_chats(sessions, clock.now(), chats)
    storm, flaky, hanging = chats[0:40], chats[40:60], chats[60:65]
    blocked, migrated, bad, hopeless = chats[65:70], chats[70], chats[71], chats[72]
    for chat in storm:
        platform.script(chat, RetryLater(5), RetryLater(2))
    # A global limit pauses the whole lane (real time), so it is kept short here.
    platform.script(chats[1], RetryLater(0.3, is_global=True))
    for chat in flaky:
        platform.script(chat, Transient("502 Bad Gateway"), Transient("timed out"))
    for chat in hanging:
        platform.script(chat, HANG)
    platform.blocked.update(blocked)
    platform.moved[migrated] = "-100" + migrated
    platform.script(bad, BadMessage("can't parse entities"))
    platform.script(hopeless, *[Transient("503")] * 10)
    aid, count = await publish(sessions, clock.now())
    assert count == 300

    engine = DeliveryEngine(SqlOutbox(sessions), {"telegram": platform}, clock, config)
    await drain(engine, clock)

    deliverable = set(chats) - set(blocked) - {bad, hopeless, migrated}
    counts = platform.send_counts()
    assert {c for c, n in counts.items() if n == 1} == deliverable | {"-100" + migrated}
    assert all(n == 1 for n in counts.values())
    # Keys derive from the row: a resend after a crash would carry the same one.
    assert all(key.startswith("herald-") for _, key in platform.sends)
    assert len({key for _, key in platform.sends}) == len(platform.sends)

    table = {r["external_id"]: r for r in await rows(sessions)}
    assert table["-100" + migrated]["state"] == "sent"
    for chat in blocked:
        assert table[chat]["state"] == "skipped"
        assert table[chat]["active"] is False
        assert "blocked" in str(table[chat]["inactive_reason"])
    assert table[bad]["state"] == "dead"
    assert "can't parse" in str(table[bad]["error"])
    assert table[hopeless]["state"] == "dead"
    assert "gave up after 4" in str(table[hopeless]["error"])
    # 429s are not failures: those rows were sent without spending attempts on them.
    assert all(table[chat]["attempts"] == 1 for chat in storm[2:])

    status = await delivery_status(SqlOutbox(sessions), aid)
    tg = status.platforms["telegram"]
    assert (tg.sent, tg.dead, tg.skipped, tg.open) == (295 - 2, 2, 5, 0)
    assert status.finished
    dead = await dead_letters(SqlOutbox(sessions))
    assert {d.external_id for d in dead} == {bad, hopeless}

    platform.faults.clear()
    first = [d.id for d in dead if d.external_id == bad]
    assert await retry_dead_letters(SqlOutbox(sessions), clock, first) == 1
    await engine.run_until_idle(timeout=10)
    assert platform.send_counts()[bad] == 1
    assert await retry_dead_letters(SqlOutbox(sessions), clock) == 1
    await engine.run_until_idle(timeout=10)
    assert (await delivery_status(SqlOutbox(sessions), aid)).platforms["telegram"].sent == 295
    assert all(s.message.kind is MessageKind.ANNOUNCEMENT for s in platform.shown.values())


async def test_one_hanging_chat_never_blocks_the_rest(
    sessions: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    platform: RecordingPlatform,
    config: DeliveryConfig,
) -> None:
    chats = [str(i) for i in range(1, 51)]
    await add_chats(sessions, clock.now(), chats)
    platform.script("1", HANG, HANG, HANG, HANG, HANG)
    aid, _ = await publish(sessions, clock.now())
    engine = DeliveryEngine(SqlOutbox(sessions), {"telegram": platform}, clock, config)
    await engine.run_until_idle(timeout=10)
    assert set(platform.send_counts()) == set(chats) - {"1"}
    status = (await delivery_status(SqlOutbox(sessions), aid)).platforms["telegram"]
    assert (status.sent, status.failed) == (49, 1)


async def test_results_written_at_stop_survive_a_failed_write(
    sessions: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    platform: RecordingPlatform,
    config: DeliveryConfig,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    chats = ["1", "2", "3"]
    await add_chats(sessions, clock.now(), chats)
    aid, _ = await publish(sessions, clock.now())
    real_record = outbox.record
    failures = [OSError("database went away"), OSError("still away")]

    async def flaky_record(*args: Any, **kwargs: Any) -> None:
        if failures:
            raise failures.pop()
        await real_record(*args, **kwargs)

    monkeypatch.setattr(outbox, "record", flaky_record)
    # Results wait for the writer; the writes at stop fail twice.
    engine = DeliveryEngine(
        SqlOutbox(sessions), {"telegram": platform}, clock, replace(config, flush_interval=60.0)
    )
    sent_all = asyncio.Event()
    real_send = platform.send

    async def counting_send(target: Target, message: OutboundMessage, *, key: str) -> list[str]:
        ids = await real_send(target, message, key=key)
        if len(platform.sends) == len(chats):
            sent_all.set()
        return ids

    monkeypatch.setattr(platform, "send", counting_send)
    await engine.start()
    async with asyncio.timeout(5):
        await sent_all.wait()
    async with asyncio.timeout(5):  # stop does not wait out the writer's flush interval
        await engine.stop()
    assert not failures
    assert (await delivery_status(SqlOutbox(sessions), aid)).platforms["telegram"].sent == 3
    clock.advance(3600)  # past every lease: a lost result would mean a second send
    await engine.run_until_idle(timeout=10)
    assert platform.send_counts() == {chat: 1 for chat in chats}
