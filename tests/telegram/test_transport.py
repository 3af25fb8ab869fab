"""The aiohttp transport carries PTB's requests and maps failures to PTB's errors."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.error import BadRequest, NetworkError, TimedOut

from adapters.telegram.transport import AiohttpRequest
from tests.fakes.telegram_api import FakeTelegram
from tests.images import png


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


def _bot(fake: FakeTelegram, **options: float) -> Bot:
    return Bot(fake.token, base_url=fake.base_url, request=AiohttpRequest(**options))  # type: ignore[arg-type]


async def test_requests_and_uploads(fake: FakeTelegram) -> None:
    async with _bot(fake) as bot:
        sent = await bot.send_message(3, "<b>x</b>", parse_mode="HTML")
        assert sent.text == "x"
        photo = await bot.send_photo(3, png(), caption="c")
        assert photo.caption == "c"
        assert fake.calls("sendPhoto")[0]["photo"] == png()
        with pytest.raises(BadRequest):
            await bot.send_message(3, "")


async def test_concurrent_requests_all_answered(fake: FakeTelegram) -> None:
    async with _bot(fake) as bot:
        await asyncio.gather(*(bot.send_message(i, "hi") for i in range(1, 201)))
    assert len(fake.all_sent()) == 200


async def test_hanging_request_times_out(fake: FakeTelegram) -> None:
    fake.fail("sendMessage", "hang")
    async with _bot(fake, read_timeout=0.2) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(3, "x")


async def test_timeout_given_per_call_wins_over_the_default(fake: FakeTelegram) -> None:
    fake.fail("sendMessage", "hang", times=None)
    async with _bot(fake, read_timeout=30) as bot:
        started = asyncio.get_running_loop().time()
        with pytest.raises(TimedOut):
            await bot.send_message(3, "x", read_timeout=0.2)
        assert asyncio.get_running_loop().time() - started < 5


async def test_pool_exhaustion_is_timed_out(fake: FakeTelegram) -> None:
    fake.fail("sendMessage", "hang", chat_id=1, times=None)
    request = AiohttpRequest(connection_pool_size=1, read_timeout=5, pool_timeout=0.1)
    async with Bot(fake.token, base_url=fake.base_url, request=request) as bot:
        stuck = asyncio.create_task(bot.send_message(1, "x"))
        await fake.wait_until(lambda: len(fake.calls("sendMessage")) == 1)
        with pytest.raises(TimedOut, match="Pool timeout"):
            await bot.send_message(2, "y")
        stuck.cancel()


async def test_server_down_is_network_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    request = AiohttpRequest(connect_timeout=1)
    bot = Bot("1:x", base_url=f"http://127.0.0.1:{port}/bot", request=request)
    with pytest.raises(NetworkError):
        await bot.initialize()
    await request.shutdown()
