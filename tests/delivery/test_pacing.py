"""The rate limiter and per-chat spacing, and a graceful stop."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import DeliveryConfig, DeliveryEngine, delivery_status
from bot.delivery.pacing import ChatPacer, RateLimiter
from bot.ports import ManualClock, RetryLater
from storage.outbox import SqlOutbox
from tests.delivery.support import (
    HANG,
    TELEGRAM_LIMITS,
    RecordingPlatform,
    add_chats,
    publish,
    rows,
)


async def test_rate_limiter_spaces_requests_evenly() -> None:
    limiter = RateLimiter(200.0)
    started = time.monotonic()
    for _ in range(41):
        await limiter.acquire()
    elapsed = time.monotonic() - started
    assert 0.19 <= elapsed < 0.5  # 40 intervals of 5 ms, never a burst


async def test_rate_limiter_pause_and_slow_down() -> None:
    limiter = RateLimiter(100.0)
    await limiter.acquire()
    limiter.pause(0.15)
    started = time.monotonic()
    await limiter.acquire()
    assert time.monotonic() - started >= 0.14
    limiter.slow()
    assert limiter.rate < 100.0
    assert limiter.rate >= 25.0
    unlimited = RateLimiter(float("inf"))
    assert unlimited.unlimited
    started = time.monotonic()
    for _ in range(1000):
        await unlimited.acquire()
    assert time.monotonic() - started < 0.1


def test_chat_pacer() -> None:
    pacer = ChatPacer()
    assert pacer.reserve(1, 3.0, now=100.0, max_wait=1.0) == 0.0
    assert pacer.reserve(1, 3.0, now=101.0, max_wait=1.0) is None  # 2 s away: back to queue
    assert pacer.ready_in(1, 101.0) == 2.0
    assert pacer.reserve(1, 3.0, now=102.5, max_wait=1.0) == 0.5
    assert pacer.reserve(2, 3.0, now=102.5, max_wait=1.0) == 0.0  # other chats unaffected
    pacer.hold(2, 30.0, now=103.0)
    assert pacer.ready_in(2, 103.0) == 30.0
    pacer.forget(2)
    assert pacer.ready_in(2, 103.0) == 0.0


async def test_stop_lets_in_flight_sends_finish(
    sessions: async_sessionmaker[AsyncSession], clock: ManualClock, config: DeliveryConfig
) -> None:
    platform = RecordingPlatform(clock, latency=0.2)
    await add_chats(sessions, clock.now(), [str(i) for i in range(10)])
    aid, _ = await publish(sessions, clock.now())
    engine = DeliveryEngine(SqlOutbox(sessions), {"telegram": platform}, clock, config)
    await engine.start()
    await asyncio.wait_for(platform.entered.wait(), 5)
    await engine.stop()
    assert len(platform.sends) == 10
    assert (await delivery_status(SqlOutbox(sessions), aid)).platforms["telegram"].sent == 10


async def test_stop_hands_back_queued_rows_and_abandons_hanging_ones(
    sessions: async_sessionmaker[AsyncSession], clock: ManualClock
) -> None:
    platform = RecordingPlatform(clock)
    platform.script("1", HANG)
    await add_chats(sessions, clock.now(), ["1", "2", "3"])
    await publish(sessions, clock.now())
    config = DeliveryConfig(
        rates={"telegram": float("inf")}, stop_grace=0.1, send_timeout=60, lease_seconds=30,
        concurrency=1,
    )
    engine = DeliveryEngine(SqlOutbox(sessions), {"telegram": platform}, clock, config)
    await engine.start()
    await asyncio.wait_for(platform.entered.wait(), 5)
    await engine.stop()
    assert platform.sends == []
    by_chat = {r["external_id"]: r for r in await rows(sessions)}
    assert {r["state"] for r in by_chat.values()} == {"pending"}
    # Abandoned mid-send: handed back too (it may have gone out: at least once), attempt kept.
    assert by_chat["1"]["lease_owner"] is None
    assert by_chat["1"]["attempts"] == 1
    for chat in ("2", "3"):  # never started: handed back at once, attempt not counted
        assert by_chat[chat]["lease_owner"] is None
        assert by_chat[chat]["attempts"] == 0
    # The next process starts on all three at once, without waiting for a lease to lapse.
    other = DeliveryEngine(SqlOutbox(sessions), {"telegram": platform}, clock, config)
    await other.run_until_idle(timeout=5)
    assert platform.send_counts() == {"1": 1, "2": 1, "3": 1}


async def test_stop_hands_back_rows_waiting_for_their_turn_at_once(
    sessions: async_sessionmaker[AsyncSession], clock: ManualClock
) -> None:
    # One send on the wire; the other rows claimed and waiting: for the rate limiter's next
    # slot (1 a second), or, the second announcement to chat 1, for that chat's spacing.
    platform = RecordingPlatform(clock)
    platform.gate = asyncio.Event()
    await add_chats(sessions, clock.now(), ["1", "2", "3", "4"])
    await publish(sessions, clock.now(), title="First")
    await publish(sessions, clock.now(), title="Second")
    config = DeliveryConfig(
        rates={"telegram": 1.0}, concurrency=10, poll_interval=0.05, flush_interval=0.01,
        stop_grace=5, lease_seconds=30,
    )
    engine = DeliveryEngine(SqlOutbox(sessions), {"telegram": platform}, clock, config)
    await engine.start()
    await asyncio.wait_for(platform.entered.wait(), 5)

    async def leased() -> list[dict[str, object]]:
        return [r for r in await rows(sessions) if r["lease_owner"] is not None]

    async def all_claimed() -> None:
        while True:
            if len(await leased()) >= 8:
                return
            await asyncio.sleep(0.02)

    await asyncio.wait_for(all_claimed(), 5)
    stopping = asyncio.create_task(engine.stop())

    async def handed_back() -> None:  # all but the one on the wire, which still holds
        while True:
            if len(await leased()) <= 1:
                return
            await asyncio.sleep(0.02)

    await asyncio.wait_for(handed_back(), 1)
    assert not stopping.done()
    assert platform.in_flight == 1
    platform.gate.set()  # the send in flight finishes and is recorded
    await asyncio.wait_for(stopping, 5)
    assert len(platform.sends) == 1  # nothing else left after the stop began
    found = await rows(sessions)
    assert sorted(str(r["state"]) for r in found) == ["pending"] * 7 + ["sent"]
    for row in found:
        assert row["lease_owner"] is None
        if row["state"] == "pending":
            assert row["attempts"] == 0


async def test_a_late_departure_never_lets_a_window_overflow() -> None:
    limiter = RateLimiter(40.0)  # 25 ms apart, at most 40 in any second
    # The loop stalls while a sender sleeps: it leaves 20 ms late, the next ones on time.
    asyncio.get_running_loop().call_later(0.115, time.sleep, 0.02)
    departures: list[float] = []
    for _ in range(61):
        await limiter.acquire()
        departures.append(time.monotonic())
        limiter.done()  # answered at once
    spans = [b - a for a, b in zip(departures, departures[40:], strict=False)]
    assert min(spans) >= 0.999


async def test_a_long_global_pause_lets_go_of_queued_rows(
    sessions: async_sessionmaker[AsyncSession], clock: ManualClock
) -> None:
    platform = RecordingPlatform(clock)
    platform.script("1", RetryLater(100, is_global=True))
    await add_chats(sessions, clock.now(), ["1", "2", "3"])
    await publish(sessions, clock.now())
    config = DeliveryConfig(rates={"telegram": float("inf")}, concurrency=1, lease_seconds=120)
    engine = DeliveryEngine(SqlOutbox(sessions), {"telegram": platform}, clock, config)
    await engine.run_until_idle(timeout=5)
    assert platform.sends == []
    for row in await rows(sessions):
        assert row["lease_owner"] is None
        assert row["attempts"] == 0
        due = row["due_at"]
        assert isinstance(due, datetime)
        assert clock.now() + timedelta(seconds=99) <= due <= clock.now() + timedelta(seconds=100)
    clock.advance(100)
    await engine.run_until_idle(timeout=5)
    assert platform.send_counts() == {"1": 1, "2": 1, "3": 1}


async def test_senders_follow_the_platforms_connection_pool(
    sessions: async_sessionmaker[AsyncSession], clock: ManualClock
) -> None:
    pooled = dataclasses.replace(TELEGRAM_LIMITS, requests_in_flight=3)
    platform = RecordingPlatform(clock, limits=pooled, latency=0.02)
    await add_chats(sessions, clock.now(), [str(n) for n in range(1, 25)])
    await publish(sessions, clock.now())
    config = DeliveryConfig(rates={"telegram": float("inf")}, pace_chats=False)
    engine = DeliveryEngine(SqlOutbox(sessions), {"telegram": platform}, clock, config)
    assert engine.pace("telegram") == (float("inf"), 3)
    await engine.run_until_idle(timeout=5)
    assert len(platform.sends) == 24
    assert platform.max_in_flight == 3  # the pool's size: never more, and all of it used


def test_configured_concurrency_caps_the_pool_and_stands_in_for_none() -> None:
    pooled = dataclasses.replace(TELEGRAM_LIMITS, requests_in_flight=50)
    assert DeliveryConfig().senders(pooled) == 50
    assert DeliveryConfig(concurrency=8).senders(pooled) == 8
    assert DeliveryConfig(concurrency=80).senders(pooled) == 50  # more would wait on the pool
    assert DeliveryConfig().senders(TELEGRAM_LIMITS) == 100  # no pool of its own: the default
    assert DeliveryConfig(concurrency=7).senders(TELEGRAM_LIMITS) == 7
