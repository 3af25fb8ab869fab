"""The Telegram webhook served by the one HTTP server of `herald run` (HERALD_HTTP_LISTEN)."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from bot.app import StartupError, run
from bot.settings import Settings
from tests.fakes.telegram_api import FakeTelegram
from tests.http.support import clean_env, free_port, get, herald_run

TOKEN = "777005:WEBHOOK-secret-token-value"
SECRET = "shared-webhook-secret"


@pytest.mark.slow
async def test_herald_run_serves_the_webhook_beside_healthz_on_one_port(tmp_path: Path) -> None:
    port = free_port()
    async with FakeTelegram(TOKEN) as fake:
        env = clean_env(
            tmp_path,
            HERALD_TELEGRAM_TOKEN=TOKEN,
            HERALD_TELEGRAM_API_URL=fake.root,
            HERALD_TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/hook",
            HERALD_TELEGRAM_WEBHOOK_SECRET=SECRET,
        )
        async with herald_run(env, tmp_path, port=port) as herald:
            await fake.wait_until(lambda: fake.webhook is not None, within=30)
            assert fake.webhook is not None
            assert fake.webhook["url"] == f"http://127.0.0.1:{port}/telegram/hook"
            assert fake.webhook["secret_token"] == SECRET
            # Real HTTP POSTs to the same port that answers /healthz, as Telegram sends them.
            assert await fake.post_webhook({"message": fake.text_message(10, "/start")},
                                           secret="wrong") == 403  # fmt: skip
            assert await fake.post_webhook({"message": fake.text_message(10, "/start")},
                                           secret=None) == 403  # fmt: skip
            assert await fake.post_webhook({"message": fake.text_message(11, "/subscribe")}) == 200
            assert "Subscribed" in (await fake.next_message(11, within=20)).text
            assert fake.sent_to(10) == []
            assert (await get(herald.url + "/healthz"))[0] == 200
            assert fake.calls("getUpdates") == []
            assert "webhook at /telegram/hook on HERALD_HTTP_LISTEN" in herald.output()
            herald.process.send_signal(signal.SIGTERM)
            assert await herald.stop(within=30) == 0, herald.output()[-2000:]


async def test_a_shared_webhook_with_the_http_server_off_is_refused(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'h.db'}",
        telegram_token=TOKEN,
        telegram_webhook_url="https://example.org/telegram/hook",
        http_listen="off",
    )
    with pytest.raises(StartupError) as refused:
        await run(settings)
    assert refused.value.code == 2
    assert "HERALD_TELEGRAM_WEBHOOK_LISTEN" in str(refused.value)
    assert not (tmp_path / "h.db").exists()  # refused before anything was opened


def test_the_webhook_shares_the_server_unless_given_a_listener() -> None:
    from adapters.telegram.config import TelegramConfig

    base = {"_env_file": None, "telegram_token": TOKEN, "telegram_webhook_url": "https://x.org/h"}
    shared = TelegramConfig.from_settings(Settings(**base))  # type: ignore[arg-type]
    assert shared.webhook_shared
    own = TelegramConfig.from_settings(
        Settings(**base, telegram_webhook_listen="0.0.0.0:8443")  # type: ignore[arg-type]
    )
    assert not own.webhook_shared
    assert (own.webhook_host, own.webhook_port) == ("0.0.0.0", 8443)
