"""Starting and stopping: a Bot API that is down, a bad token, webhook secrets, no token in logs."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest

from adapters.http import HttpServer
from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.config import TelegramConfig
from adapters.telegram.redact import REDACTED, Redaction, RedactToken, scrub
from tests.adapter_state import MemoryState
from tests.fakes.telegram_api import FakeTelegram
from tests.telegram.recording_core import RecordingCore

TOKEN = "123456:TEST-token"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_api_down_at_start_retries_in_background(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    port = _free_port()
    config = TelegramConfig(token=TOKEN, api_url=f"http://127.0.0.1:{port}", retry_initial=0.05)
    telegram = TelegramAdapter(RecordingCore(), config, state=MemoryState())
    await telegram.start()  # returns although nothing answers
    assert not telegram.ready.is_set()
    attempts = [r for r in caplog.records if "unreachable (attempt" in r.getMessage()]
    assert len(attempts) == 1
    assert attempts[0].levelno == logging.WARNING
    # Now the Bot API comes up on the port Herald keeps trying.
    fake = FakeTelegram(TOKEN)
    await fake.start(port)
    try:
        await asyncio.wait_for(telegram.ready.wait(), 5)
        fake.send_text(42, "/ping")
        assert (await fake.next_message(42)).text == "pong <&>"
    finally:
        await telegram.stop()
        await fake.close()
    assert TOKEN not in caplog.text
    assert "TEST-token" not in caplog.text


async def test_rejected_token_logged_without_the_token(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with FakeTelegram("999:real-token") as fake:
        config = TelegramConfig(token="999:wrong-token-value", api_url=fake.root)
        telegram = TelegramAdapter(RecordingCore(), config, state=MemoryState())
        await telegram.start()
        assert not telegram.ready.is_set()
        await telegram.stop()
    assert "rejected the token" in caplog.text
    assert "wrong-token-value" not in caplog.text


def test_redaction_filter_and_factory(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    # Herald's quiet logging (set up by any CLI test run before this one) raises httpx's level.
    caplog.set_level(logging.DEBUG, logger="httpx")
    record = logging.LogRecord("x", logging.INFO, "f", 1, "url %s", (f"/bot{TOKEN}/getMe",), None)
    RedactToken(TOKEN).filter(record)
    assert record.getMessage() == f"url /bot{REDACTED}/getMe"
    assert scrub("https://api.telegram.org/botANY:thing/sendMessage") == (
        f"https://api.telegram.org/bot{REDACTED}/sendMessage"
    )
    redaction = Redaction(TOKEN)
    redaction.install()
    try:
        logging.getLogger("httpx").info("HTTP Request: POST https://x/bot%s/getMe", TOKEN)
        try:
            raise RuntimeError(f"The token `{TOKEN}` was rejected by the server.")
        except RuntimeError:
            logging.getLogger("telegram.ext.Application").exception("failed")
    finally:
        redaction.uninstall()
    assert "HTTP Request" in caplog.text
    assert "was rejected" in caplog.text
    assert TOKEN not in caplog.text
    logging.getLogger("after").info("%s", TOKEN)
    assert caplog.records[-1].getMessage() == TOKEN  # uninstalled


async def test_webhook_checks_the_secret() -> None:
    port = _free_port()
    core = RecordingCore()
    async with FakeTelegram(TOKEN) as fake:
        config = TelegramConfig(
            token=TOKEN,
            api_url=fake.root,
            webhook_url=f"http://127.0.0.1:{port}/telegram/hook",
            webhook_secret="s3cret-value",
            webhook_port=port,
        )
        telegram = TelegramAdapter(core, config, state=core.state)
        await telegram.start()
        try:
            assert fake.webhook is not None
            assert fake.webhook["url"] == config.webhook_url
            assert fake.webhook["secret_token"] == "s3cret-value"
            assert fake.calls("getUpdates") == []
            ping = {"message": fake.text_message(42, "/ping")}
            assert await fake.post_webhook(ping, secret=None) == 403
            assert await fake.post_webhook(ping, secret="wrong") == 403
            assert await fake.post_webhook(ping) == 200
            assert (await fake.next_message(42)).text == "pong <&>"
            assert [c.text for c in core.seen] == ["/ping"]
        finally:
            await telegram.stop()


async def test_a_shared_webhook_accepts_updates_only_while_receiving() -> None:
    core = RecordingCore()
    async with FakeTelegram(TOKEN) as fake:
        port = _free_port()
        config = TelegramConfig(
            token=TOKEN,
            api_url=fake.root,
            webhook_url=f"http://127.0.0.1:{port}/telegram/hook",
            webhook_secret="s3cret-value",
            webhook_shared=True,
        )
        telegram = TelegramAdapter(core, config, state=core.state)
        route = telegram.webhook_route()
        assert route is not None
        server = HttpServer("127.0.0.1", port, [route])
        await server.start()
        try:
            # Telegram may still post to the address before Herald connects: not accepted,
            # so it delivers again later instead of the update being lost.
            fake.webhook = {"url": config.webhook_url, "secret_token": "s3cret-value"}
            early = {"message": fake.text_message(42, "/ping")}
            assert await fake.post_webhook(early) == 503
            await telegram.start()
            assert telegram.webhook_port is None  # no listener of its own
            assert fake.webhook is not None
            assert fake.webhook["url"] == config.webhook_url
            assert await fake.post_webhook(early, secret="wrong") == 403
            assert await fake.post_webhook(early) == 200
            assert (await fake.next_message(42)).text == "pong <&>"
            await telegram.stop_receiving()
            assert await fake.post_webhook({"message": fake.text_message(42, "/ping")}) == 503
            assert [c.text for c in core.seen] == ["/ping"]
        finally:
            await telegram.stop()
            await server.stop()


async def test_no_webhook_route_when_polling_or_on_its_own_listener() -> None:
    polling = TelegramAdapter(RecordingCore(), TelegramConfig(token=TOKEN), state=MemoryState())
    own = TelegramConfig(token=TOKEN, webhook_url="https://example.org/hook", webhook_port=8443)
    alone = TelegramAdapter(RecordingCore(), own, state=MemoryState())
    try:
        assert polling.webhook_route() is None
        assert alone.webhook_route() is None
    finally:
        await polling.stop()
        await alone.stop()


class BrokenState(MemoryState):
    """A state store that fails (say, the database is briefly unavailable)."""

    async def get(self, key: str) -> str | None:
        """Fails."""
        raise RuntimeError("database is locked")


async def test_menu_failure_does_not_stop_the_start(caplog: pytest.LogCaptureFixture) -> None:
    async with FakeTelegram(TOKEN) as fake:
        config = TelegramConfig(token=TOKEN, api_url=fake.root)
        telegram = TelegramAdapter(RecordingCore(), config, state=BrokenState())
        await telegram.start()
        try:
            assert telegram.ready.is_set()
            fake.send_text(42, "/ping")
            assert (await fake.next_message(42)).text == "pong <&>"
        finally:
            await telegram.stop()
    assert "command menu not registered: database is locked" in caplog.text
