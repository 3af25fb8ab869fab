"""End to end: an anniversary kept by command fires through the real Telegram stack, once.

Herald's real composition root on SQLite, python-telegram-bot over HTTP to the fake Bot API,
a manual clock. The anniversary is set for a minute from now; Herald restarts before it is
due and again after it fired.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from adapters.telegram.wiring import telegram_adapter
from bot.app import Herald, open_herald
from bot.ports import ManualClock, Platform
from bot.schedule.ordinals import ordinal
from bot.schedule.scheduler import job_id
from bot.settings import Settings
from tests.fakes.telegram_api import FakeTelegram

ADMIN = 1
TOKEN = "123456:TEST-token"


@asynccontextmanager
async def running(
    fake: FakeTelegram, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[Herald]:
    """One Herald process: as `herald run` starts it, with the test's clock."""
    config = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'herald.db'}",
        admins=f"telegram:{ADMIN}",
        telegram_token=TOKEN,
        telegram_api_url=fake.root,
        timezone="Asia/Seoul",
    )
    herald = await open_herald(config, clock=clock)
    try:
        telegram = telegram_adapter(herald.router, herald.repository.state, config)
        herald.adapters = [telegram]
        platforms: dict[str, Platform] = {telegram.name: telegram}
        await herald.start_delivery(platforms).start()
        await telegram.start()
        assert herald.scheduler is not None
        await herald.scheduler.start()
        yield herald
    finally:
        await herald.close()


async def test_an_anniversary_reaches_the_subscribed_chats_once_across_restarts(
    tmp_path: Path,
) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    clock = ManualClock(now)
    seoul = (now + timedelta(minutes=1)).astimezone(ZoneInfo("Asia/Seoul"))
    async with FakeTelegram(TOKEN) as fake:
        async with running(fake, tmp_path, clock) as herald:
            fake.send_text(10, "/subscribe Korea")
            fake.send_text(11, "/subscribe")
            fake.send_text(12, "/subscribe Music")
            for chat in (10, 11, 12):
                assert "ubscribed" in (await fake.next_message(chat)).text
            command = f"/anniversary add 1945-{seoul:%m-%d} {seoul:%H:%M} Liberation #Korea"
            fake.send_text(ADMIN, command)
            assert "kept" in (await fake.next_message(ADMIN)).text
            assert herald.scheduler is not None
            await herald.scheduler.settle()
            assert herald.scheduler.jobs()[job_id(1)] == now + timedelta(minutes=1)

        clock.set(now + timedelta(minutes=1))
        async with running(fake, tmp_path, clock) as herald:
            # Started just as it fell due: the start's own sweep fired it.
            assert herald.delivery is not None
            await herald.delivery.run_until_idle(timeout=15)
            assert herald.scheduler is not None
            assert await herald.scheduler.tick() == 0

        clock.set(now + timedelta(minutes=2))
        async with running(fake, tmp_path, clock) as herald:
            assert herald.scheduler is not None
            assert await herald.scheduler.tick() == 0
            assert herald.delivery is not None
            await herald.delivery.run_until_idle(timeout=15)

    expected = f"Today is the {ordinal(seoul.year - 1945, 'en')} anniversary of Liberation"
    for chat in (10, 11):
        [_, anniversary] = fake.sent_to(chat)
        assert anniversary.text.strip() == expected
    assert len(fake.sent_to(12)) == 1, "only the answer to /subscribe"
