"""`herald run --role worker` killed mid-broadcast and restarted at once resumes in seconds.

Real processes through the fake Bot API with Telegram's limits enforced (30 messages in any
sliding second, 1 per second per private chat). Ten times: a broadcast to a few hundred chats,
SIGKILL at a random instant, an immediate restart. Nothing is lost; a chat gets the message
twice only if its request was in flight at the kill (answered by the fake, not yet recorded
by Herald); every broadcast finishes within 15 s of the restarted process coming up (its
interpreter start is timed apart, see restart()). And SIGTERM: the stop hands back every row
not sent, and the restart resumes at once without a duplicate.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.ports import SystemClock
from storage.engine import create_engine
from storage.migrate import upgrade
from storage.outbox import CHATS, DELIVERIES
from tests.delivery.support import add_chats, publish
from tests.fakes.telegram_api import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "616161:RECOVERY-telegram-secret"
SUBSCRIBERS = [str(20_000 + i) for i in range(200)]
KILLS = 10
RESUME_WITHIN = 15.0


class Worker:
    """A `herald run --role worker` process, logging to a file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self._env = env
        self._log = log
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self._log.open("ab") as out:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "run", "--role", "worker",
                env=self._env, cwd=self._log.parent, stdout=out, stderr=out,
            )  # fmt: skip

    async def signal(self, signum: int) -> int:
        assert self.process is not None
        self.process.send_signal(signum)
        return await asyncio.wait_for(self.process.wait(), 30)

    def tail(self) -> str:
        return self._log.read_text(errors="replace")[-3000:]


@pytest.fixture
async def stage(tmp_path: Path) -> AsyncIterator[tuple[FakeTelegram, AsyncEngine, Worker]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'herald.db'}"
    db = create_engine(url)
    await upgrade(db)
    await add_chats(async_sessionmaker(db), SystemClock().now(), SUBSCRIBERS)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
    async with FakeTelegram(TOKEN, enforce_limits=True) as fake:
        env.update(
            HERALD_DATABASE_URL=url, HERALD_LOG_LEVEL="INFO", PYTHONPATH=str(ROOT),
            HERALD_HTTP_LISTEN="off",
            HERALD_TELEGRAM_TOKEN=TOKEN, HERALD_TELEGRAM_API_URL=fake.root,
        )
        worker = Worker(env, tmp_path / "worker.log")
        try:
            yield fake, db, worker
        finally:
            if worker.process is not None and worker.process.returncode is None:
                worker.process.kill()
                await worker.process.wait()
            await db.dispose()


def copies(fake: FakeTelegram, title: str) -> dict[str, int]:
    """How many messages carrying `title` each chat got."""
    counts: dict[str, int] = {}
    for message in fake.all_sent():
        if title in message.text:
            chat = str(message.chat_id)
            counts[chat] = counts.get(chat, 0) + 1
    return counts


async def wait_for(fake: FakeTelegram, title: str, chats: int, within: float) -> None:
    await fake.wait_until(lambda: len(copies(fake, title)) >= chats, within)


async def restart(fake: FakeTelegram, worker: Worker, title: str) -> tuple[float, float]:
    """Start the worker again; (seconds until it is up, seconds from then to the last copy).

    Up is its first request to the fake (getMe): the interpreter has started and imported
    Herald. That start is timed apart because it is the machine's, not the recovery's: about
    3 s on an idle two-core machine, over 10 s when other processes load it.
    """
    calls = len(fake.calls("getMe"))
    restarted = time.monotonic()
    await worker.start()
    await fake.wait_until(lambda: len(fake.calls("getMe")) > calls, 120)
    up = time.monotonic()
    await wait_for(fake, title, len(SUBSCRIBERS), RESUME_WITHIN + 5)
    return up - restarted, time.monotonic() - up


async def unrecorded(db: AsyncEngine, aid: int) -> set[str]:
    """Chats whose row of `aid` is still pending (not recorded as sent)."""
    d, c = DELIVERIES.c, CHATS.c
    async with async_sessionmaker(db)() as session:
        rows = await session.execute(
            select(c.external_id)
            .select_from(DELIVERIES.join(CHATS, c.id == d.chat_id))
            .where(d.announcement_id == aid, d.state == "pending")
        )
        return {str(chat) for chat in rows.scalars()}


async def leased(db: AsyncEngine) -> int:
    async with async_sessionmaker(db)() as session:
        query = select(func.count()).where(
            DELIVERIES.c.state == "pending", DELIVERIES.c.lease_owner.is_not(None)
        )
        return int((await session.execute(query)).scalar_one())


@pytest.mark.slow
@pytest.mark.timeout(600)  # ten starts of a process: about 2 minutes idle, longer when loaded
async def test_ten_kills_lose_nothing_and_each_broadcast_resumes_in_seconds(
    stage: tuple[FakeTelegram, AsyncEngine, Worker],
) -> None:
    fake, db, worker = stage
    seed = random.randrange(1_000_000)
    chance = random.Random(seed)
    sessions = async_sessionmaker(db, expire_on_commit=False)
    await worker.start()
    report = []
    for kill in range(KILLS):
        title = f"Broadcast {kill}"
        aid, count = await publish(sessions, SystemClock().now(), title=title)
        assert count == len(SUBSCRIBERS)
        after = chance.randrange(5, len(SUBSCRIBERS) - 20)
        await wait_for(fake, title, after, 30)
        assert await worker.signal(signal.SIGKILL) == -signal.SIGKILL, worker.tail()
        # In flight at the kill: answered by the fake (or still being answered) and not
        # recorded as sent by Herald. Only these may be sent twice.
        await asyncio.sleep(0.2)  # requests the dead process left on the wire land
        shown = copies(fake, title)
        in_flight = len(set(shown) & await unrecorded(db, aid))
        up, took = await restart(fake, worker, title)
        final = copies(fake, title)
        duplicates = sum(n - 1 for n in final.values())
        report.append((after, in_flight, duplicates, round(up, 1), round(took, 1)))
        print("kill after, in flight, duplicates, start s, resume s:", report[-1])
        assert set(final) == set(SUBSCRIBERS), f"seed {seed}: {report}"
        assert duplicates <= in_flight, f"seed {seed}: {report}"
        assert took <= RESUME_WITHIN, f"seed {seed}: {report}\n{worker.tail()}"
    assert await worker.signal(signal.SIGTERM) == 0, worker.tail()
    assert fake.rate_limited == 0, f"seed {seed}: {report}"
    assert await leased(db) == 0


@pytest.mark.slow
async def test_after_sigterm_the_restart_resumes_at_once_without_a_duplicate(
    stage: tuple[FakeTelegram, AsyncEngine, Worker],
) -> None:
    fake, db, worker = stage
    sessions = async_sessionmaker(db, expire_on_commit=False)
    await worker.start()
    aid, _ = await publish(sessions, SystemClock().now(), title="Clean stop")
    await wait_for(fake, "Clean stop", len(SUBSCRIBERS) // 3, 30)
    assert await worker.signal(signal.SIGTERM) == 0, worker.tail()
    # The stop recorded what it sent and handed back every row it had not.
    assert await leased(db) == 0
    assert set(copies(fake, "Clean stop")).isdisjoint(await unrecorded(db, aid))
    _, took = await restart(fake, worker, "Clean stop")
    assert took <= RESUME_WITHIN
    assert set(copies(fake, "Clean stop").values()) == {1}
    assert await worker.signal(signal.SIGTERM) == 0, worker.tail()
