"""start_sending(): getMe only, no polling or webhook or menu; a Bot API that is down is retried."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest

from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.config import TelegramConfig
from bot.domain import ChatKind
from bot.ports import MessageKind, OutboundMessage, Target, Transient
from tests.adapter_state import MemoryState
from tests.fakes.telegram_api import FakeTelegram
from tests.telegram.recording_core import RecordingCore

TOKEN = "123456:TEST-token"
MESSAGE = OutboundMessage(MessageKind.ANNOUNCEMENT, "Liberation Day", "We remember.")
RECEIVING = ("getUpdates", "setWebhook", "deleteWebhook", "setMyCommands")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_send_only_sends_edits_deletes_and_never_receives() -> None:
    async with FakeTelegram(TOKEN) as fake:
        hook = "http://127.0.0.1:9/hook"  # webhook mode configured: still never registered
        config = TelegramConfig(token=TOKEN, api_url=fake.root, webhook_url=hook)
        telegram = TelegramAdapter(RecordingCore(), config, state=MemoryState())
        await telegram.start_sending()
        try:
            assert telegram.ready.is_set()
            target = Target("42", ChatKind.PRIVATE)
            ids = await telegram.send(target, MESSAGE, key="d1")
            (sent,) = fake.sent_to(42)
            assert [str(sent.message_id)] == ids
            changed = OutboundMessage(MessageKind.ANNOUNCEMENT, "Liberation Day", "Edited.")
            assert await telegram.edit(target, ids, changed) == ids
            assert "Edited." in sent.text
            await telegram.delete(target, ids)
            assert sent.deleted
            fake.send_text(42, "/ping")  # queued, but nobody asks for updates
        finally:
            await telegram.stop()
    assert [name for name, _ in fake.log if name in RECEIVING] == []
    assert len(fake.calls("getMe")) == 1
    assert fake.webhook is None
    assert fake.commands == {}


async def test_send_only_waits_out_a_down_api(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    port = _free_port()
    config = TelegramConfig(token=TOKEN, api_url=f"http://127.0.0.1:{port}", retry_initial=0.05)
    telegram = TelegramAdapter(RecordingCore(), config, state=MemoryState())
    await telegram.start_sending()  # returns although nothing answers
    assert not telegram.ready.is_set()
    with pytest.raises(Transient):
        await telegram.send(Target("42", ChatKind.PRIVATE), MESSAGE, key="d1")
    attempts = [r for r in caplog.records if "unreachable (attempt" in r.getMessage()]
    assert len(attempts) == 1
    fake = FakeTelegram(TOKEN)
    await fake.start(port)
    try:
        await asyncio.wait_for(telegram.ready.wait(), 5)
        assert await telegram.send(Target("42", ChatKind.PRIVATE), MESSAGE, key="d1") == ["1"]
    finally:
        await telegram.stop()
        await fake.close()
    assert [name for name, _ in fake.log if name in RECEIVING] == []
    assert "sending only" in caplog.text
    assert TOKEN not in caplog.text


async def test_send_only_with_a_rejected_token_stays_off(caplog: pytest.LogCaptureFixture) -> None:
    async with FakeTelegram("999:real-token") as fake:
        config = TelegramConfig(token="999:wrong-token-value", api_url=fake.root)
        telegram = TelegramAdapter(RecordingCore(), config, state=MemoryState())
        await telegram.start_sending()
        assert not telegram.ready.is_set()
        await telegram.stop()
    assert "rejected the token" in caplog.text
    assert "wrong-token-value" not in caplog.text


async def test_the_fake_notices_two_pollers_on_one_token() -> None:
    async with FakeTelegram(TOKEN) as fake:
        config = TelegramConfig(token=TOKEN, api_url=fake.root, poll_timeout=5)
        first = TelegramAdapter(RecordingCore(), config, state=MemoryState())
        second = TelegramAdapter(RecordingCore(), config, state=MemoryState())
        await first.start()
        try:
            await fake.wait_until(lambda: bool(fake.calls("getUpdates")))
            assert fake.poll_conflicts == 0
            await second.start()
            await fake.wait_until(lambda: fake.poll_conflicts > 0)
        finally:
            await second.stop()
            await first.stop()
