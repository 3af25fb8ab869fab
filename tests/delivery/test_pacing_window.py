"""Herald never trips Telegram's 30-per-sliding-second limit, even when requests jitter.

The fake Bot API refuses the 31st message inside any sliding second (no slack) and here
delays each request by a random 0-30 ms, so requests overtake each other on the way. These
tests count 429s and the busiest second at the fake; they do not time Herald.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot

from adapters.telegram.config import TelegramConfig
from adapters.telegram.platform import TelegramPlatform
from adapters.telegram.transport import AiohttpRequest
from bot.delivery import DeliveryConfig, DeliveryEngine, delivery_status
from bot.delivery.pacing import RateLimiter
from bot.ports import SystemClock
from storage.outbox import SqlOutbox
from tests.delivery.support import add_chats, publish
from tests.fakes.telegram_api import FakeTelegram

CHATS = 150  # five seconds at 30/s


def busiest_second(arrivals: Sequence[float]) -> int:
    """The most arrivals inside any sliding second [t, t + 1)."""
    most, first = 0, 0
    ordered = sorted(arrivals)
    for last, at in enumerate(ordered):
        while at - ordered[first] >= 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


@pytest.fixture
async def strict_fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(enforce_limits=True, latency=0.002, jitter=0.03) as server:
        yield server


async def test_a_broadcast_draws_no_429_from_a_strict_jittery_fake(
    sessions: async_sessionmaker[AsyncSession], strict_fake: FakeTelegram
) -> None:
    clock = SystemClock()
    await add_chats(sessions, clock.now(), [str(10_000 + i) for i in range(CHATS)])
    aid, count = await publish(sessions, clock.now())
    request = AiohttpRequest(connection_pool_size=100)
    async with Bot(strict_fake.token, base_url=strict_fake.base_url, request=request) as bot:
        telegram = TelegramPlatform(bot, TelegramConfig(token=strict_fake.token))
        # As `herald run` builds it: Telegram's 30/s, 100 senders, claims in batches.
        engine = DeliveryEngine(
            SqlOutbox(sessions), {"telegram": telegram}, clock, DeliveryConfig()
        )
        await engine.run_until_idle(timeout=60)
    assert strict_fake.rate_limited == 0
    assert busiest_second(strict_fake.accepted_at) <= 30
    assert (await delivery_status(SqlOutbox(sessions), aid)).total.sent == count == CHATS


async def test_the_window_counts_a_request_until_a_second_after_its_answer() -> None:
    limiter = RateLimiter(3.0, safety=100.0)  # spacing out of the way: the window alone
    loop = asyncio.get_running_loop()
    for _ in range(3):
        assert await limiter.acquire()
    started = loop.time()
    waiting = asyncio.ensure_future(limiter.acquire())
    await asyncio.sleep(0.2)
    assert not waiting.done()  # three open requests: the fourth waits for an answer
    limiter.done()  # the first is answered now; its slot closes one second later
    assert await waiting
    assert loop.time() - started >= 1.19
