"""/readyz and /metrics of a real `herald run`, through a real HTTP client and the fake Bot API."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import FakeTelegram
from tests.http.support import clean_env, get, herald_run, label_values, metric

TOKEN = "777002:ENDPOINTS-secret-token-value"
DISCORD_TOKEN = "MTIzNDU2Nzg5.ENDPOINTS-discord.secret"
ADMIN = 1
SUBSCRIBERS = (10, 11, 12)
BROKEN = 12  # Telegram refuses every message to this chat: a dead letter
SLOW = 11  # answers 429 once


async def until_metric(url: str, name: str, value: float, within: float = 30, **labels: str) -> str:
    """Scrape /metrics until the sample reaches `value`; the last exposition."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        status, body = await get(url + "/metrics")
        assert status == 200
        if metric(body, name, **labels) == value or loop.time() > deadline:
            return body
        await asyncio.sleep(0.2)


async def readyz_until(url: str, wanted: int, within: float = 30) -> tuple[int, str]:
    """GET /readyz until it answers `wanted` (while starting it says 503: connecting)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        status, body = await get(url + "/readyz")
        if status == wanted or loop.time() > deadline:
            return status, body
        await asyncio.sleep(0.2)


@pytest.mark.slow
async def test_metrics_after_a_broadcast_match_what_the_fake_saw(tmp_path: Path) -> None:
    async with FakeTelegram(TOKEN) as fake:
        env = clean_env(
            tmp_path,
            HERALD_TELEGRAM_TOKEN=TOKEN,
            HERALD_TELEGRAM_API_URL=fake.root,
            HERALD_ADMINS=f"telegram:{ADMIN}",
        )
        async with herald_run(env, tmp_path) as herald:
            for chat in SUBSCRIBERS:
                fake.send_text(chat, "/subscribe")
                assert "Subscribed" in (await fake.next_message(chat, within=20)).text
            fake.fail("sendMessage", "bad_request", chat_id=BROKEN, times=None,
                      description="Bad Request: message is broken")  # fmt: skip
            fake.fail("sendMessage", "retry_after", chat_id=SLOW, retry_after=1)
            fake.send_text(ADMIN, "/post Liberation Day\nWe remember.")
            assert "published" in (await fake.next_message(ADMIN, within=20)).text
            body = await until_metric(
                herald.url, "herald_deliveries_total", 2,
                platform="telegram", action="send", outcome="sent",
            )  # fmt: skip
            await until_metric(herald.url, "herald_dead_letters_total", 1, platform="telegram")
            # Outcomes are counted as they happen, the rows written a moment later.
            body = await until_metric(herald.url, "herald_outbox_pending", 0, platform="telegram")
            code = await herald.stop()
        assert code == 0, herald.output()[-3000:]
    announcements = [
        m for chat in SUBSCRIBERS for m in fake.sent_to(chat) if m.text.startswith("Liberation")
    ]
    broken = next(f for f in fake.faults if f.chat_id == BROKEN)
    sent = metric(body, "herald_deliveries_total", platform="telegram", outcome="sent")
    dead = metric(body, "herald_deliveries_total", platform="telegram", outcome="dead")
    assert sent == len(announcements) == 2
    assert dead == broken.hits == 1
    assert metric(body, "herald_dead_letters_total", platform="telegram") == 1
    assert metric(body, "herald_rate_limited_total", platform="telegram") == 1
    assert metric(body, "herald_deliveries_total", outcome="deferred") == 1  # the 429'd send
    assert metric(body, "herald_send_seconds_count", platform="telegram", action="send") == 4
    assert metric(body, "herald_commands_total", command="subscribe", outcome="ok") == 3
    assert metric(body, "herald_commands_total", command="post", outcome="ok") == 1
    assert metric(body, "herald_command_seconds_count", command="subscribe") == 3
    assert metric(body, "herald_outbox_pending", platform="telegram") == 0
    assert metric(body, "herald_outbox_oldest_due_age_seconds", platform="telegram") == 0
    assert metric(body, "herald_build_info", role="all") == 1
    assert metric(body, "herald_anniversary_firings_total") == 0
    # No chat or user ids as labels.
    ids = {str(i) for i in (ADMIN, *SUBSCRIBERS)}
    assert not ids & label_values(body)


@pytest.mark.slow
async def test_readyz_is_200_with_every_check_and_503_for_a_rejected_token(
    tmp_path: Path,
) -> None:
    discord = FakeDiscord(token=DISCORD_TOKEN)
    discord.add_guild("Society")
    await discord.start()
    async with FakeTelegram(TOKEN) as fake:
        env = clean_env(
            tmp_path,
            HERALD_TELEGRAM_TOKEN=TOKEN,
            HERALD_TELEGRAM_API_URL=fake.root,
            HERALD_DISCORD_TOKEN=DISCORD_TOKEN,
            HERALD_DISCORD_API_URL=discord.api_url,
            HERALD_DISCORD_GATEWAY_URL=discord.gateway_url,
        )
        async with herald_run(env, tmp_path) as herald:
            status, body = await readyz_until(herald.url, 200)
            report = json.loads(body)
            assert status == 200, body
            assert report["ready"] is True
            checks = report["checks"]
            assert checks["database"] == {"ok": True}
            assert checks["telegram"] == {"ok": True, "state": "connected"}
            assert checks["discord"] == {"ok": True, "state": "connected"}
            assert checks["scheduler"]["running"] is True
            assert checks["scheduler"]["leading"] is True
            assert checks["scheduler"]["leader"] is None  # SQLite: no lock, this process leads
            assert checks["deliveries"]["ok"] is True
            assert checks["deliveries"]["oldest_due_age_seconds"] == 0
            assert await herald.stop() == 0
        # The same, with a Telegram token the Bot API refuses: Discord keeps it running.
        env["HERALD_TELEGRAM_TOKEN"] = "777002:WRONG-token-value-for-this-bot"
        async with herald_run(env, tmp_path) as herald:
            # Discord connected and the scheduler running: only the token keeps it unready.
            await readyz_until(herald.url, 200, within=5)
            status, body = await get(herald.url + "/readyz")
            report = json.loads(body)
            assert status == 503, body
            assert report["checks"]["scheduler"]["running"] is True
            assert report["ready"] is False
            assert report["checks"]["telegram"] == {"ok": False, "state": "token_rejected"}
            assert report["checks"]["discord"]["ok"] is True
            assert await herald.stop() == 0
            assert "WRONG-token" not in herald.output()
    await discord.close()
