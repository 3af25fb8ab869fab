"""SIGTERM mid-broadcast: sends in flight finish and are recorded, the rest go back, exit 0."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.app import open_herald
from bot.settings import Settings
from tests.fakes.telegram_api import FakeTelegram
from tests.http.support import clean_env, herald_run
from tests.ops.seed import telegram

TOKEN = "777004:GRACEFUL-secret-token-value"
ADMIN = "1"
CHATS = range(100, 140)


async def subscribe(url: str) -> None:
    """Forty subscribed private chats, through the real core."""
    herald = await open_herald(Settings(database_url=url))
    try:
        for chat in CHATS:
            reply = await herald.router.handle(telegram(str(chat), str(chat), "/subscribe"))
            assert reply is not None
    finally:
        await herald.close()


async def rows(url: str) -> list[tuple[str, str | None, int]]:
    """(state, lease owner, attempts) of every delivery row."""
    herald = await open_herald(Settings(database_url=url))
    try:
        async with herald.repository.sessions() as db:
            result = await db.execute(text("SELECT state, lease_owner, attempts FROM deliveries"))
            return [(str(s), o, int(a)) for s, o, a in result]
    finally:
        await herald.close()


@pytest.mark.slow
async def test_sigterm_mid_broadcast_finishes_in_flight_and_gives_back_the_rest(
    tmp_path: Path,
) -> None:
    async with FakeTelegram(TOKEN) as fake:
        env = clean_env(
            tmp_path,
            HERALD_TELEGRAM_TOKEN=TOKEN,
            HERALD_TELEGRAM_API_URL=fake.root,
            HERALD_ADMINS=f"telegram:{ADMIN}",
            HERALD_TELEGRAM_RATE="4",
        )
        url = env["HERALD_DATABASE_URL"]
        await subscribe(url)
        async with herald_run(env, tmp_path) as herald:
            await fake.wait_until(lambda: bool(fake.calls("getUpdates")), within=30)
            fake.send_text(int(ADMIN), "/post Liberation Day\nWe remember.")

            def announced() -> int:
                return sum(
                    1 for chat in CHATS for m in fake.sent_to(chat) if m.text.startswith("Lib")
                )

            await fake.wait_until(lambda: announced() >= 3, within=30)
            fake.latency = 0.5  # the next sends are on the wire when the signal comes
            await asyncio.sleep(0.3)
            herald.process.send_signal(signal.SIGTERM)
            requests = len(fake.calls("sendMessage"))
            code = await herald.stop(within=40)
            # Rows waiting for the rate limiter's next turn were handed back, not sent: at
            # most one request was already leaving as the signal arrived.
            assert len(fake.calls("sendMessage")) - requests <= 1
            output = herald.output()
        assert code == 0, output[-3000:]
        assert "Traceback" not in output
        delivered = announced()
    found = await rows(url)
    states = [state for state, _, _ in found]
    assert len(found) == len(CHATS)
    # Every message the fake accepted is recorded as sent: nothing will be sent twice.
    assert states.count("sent") == delivered
    assert delivered >= 3
    # Anything not sent is back in the queue, unleased, with no attempt spent.
    unsent = [(owner, attempts) for state, owner, attempts in found if state != "sent"]
    assert all(state == "pending" for state in states if state != "sent")
    assert all(owner is None and attempts == 0 for owner, attempts in unsent)
