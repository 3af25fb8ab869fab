"""Real processes: SIGKILL in mid-broadcast loses nothing; three workers never send a row twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import DeliveryConfig, DeliveryEngine, delivery_status
from bot.ports import ManualClock
from storage.engine import create_engine
from storage.migrate import upgrade
from storage.outbox import CHATS, DELIVERIES, SqlOutbox
from tests.delivery.support import RecordingPlatform, add_chats, publish

RUNNER = Path(__file__).with_name("runner.py")
ROOT = Path(__file__).resolve().parents[2]


def start_worker(db: str, out: Path, *extra: str) -> subprocess.Popen[bytes]:
    """Launch tests/delivery/runner.py with this interpreter (the venv's)."""
    return subprocess.Popen(
        [sys.executable, str(RUNNER), "--db", db, "--out", str(out), *extra],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
    )


def delivered(*outs: Path) -> Counter[str]:
    """How many times each chat got the message, over every worker's record."""
    counts: Counter[str] = Counter()
    for out in outs:
        if out.exists():
            counts.update(line.split()[0] for line in out.read_text().splitlines() if line)
    return counts


async def seed(url: str, chats: int) -> int:
    """Migrate, add subscribed chats, publish one announcement; return its id."""
    engine = create_engine(url)
    await upgrade(engine)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    now = datetime.now(UTC)
    await add_chats(sessions, now, [str(i) for i in range(1, chats + 1)])
    aid, count = await publish(sessions, now)
    assert count == chats
    await engine.dispose()
    return aid


async def pending_chats(url: str, aid: int) -> set[str]:
    """Chats whose row of `aid` is not recorded as sent yet."""
    engine = create_engine(url)
    d, c = DELIVERIES.c, CHATS.c
    try:
        async with async_sessionmaker(engine)() as session:
            rows = await session.execute(
                select(c.external_id)
                .select_from(DELIVERIES.join(CHATS, c.id == d.chat_id))
                .where(d.announcement_id == aid, d.state == "pending")
            )
            return {str(chat) for chat in rows.scalars()}
    finally:
        await engine.dispose()


async def finished(url: str, aid: int) -> tuple[int, int]:
    """(sent, open) rows of the announcement."""
    engine = create_engine(url)
    status = await delivery_status(SqlOutbox(async_sessionmaker(engine)), aid)
    await engine.dispose()
    return status.total.sent, status.total.open


def wait_lines(out: Path, lines: int, deadline: float) -> None:
    """Block until the worker's record has `lines` lines (bounded)."""
    while time.monotonic() < deadline:
        if out.exists() and out.read_text().count("\n") >= lines:
            return
        time.sleep(0.01)
    raise AssertionError(f"the worker wrote fewer than {lines} lines in time")


@pytest.mark.slow
async def test_sigkill_mid_broadcast_loses_nothing(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'herald.db'}"
    aid = await seed(url, 600)
    outs = [tmp_path / "first.txt", tmp_path / "second.txt", tmp_path / "third.txt"]
    deadline = time.monotonic() + 60
    unrecorded = 0
    for out, lines in zip(outs[:2], (150, 150), strict=True):
        worker = start_worker(url, out, "--latency", "0.01")
        await asyncio.to_thread(wait_lines, out, lines, deadline)
        worker.send_signal(signal.SIGKILL)
        assert await asyncio.to_thread(worker.wait, 10) == -signal.SIGKILL
        # Sent by the dead worker but not recorded: only these may be sent again.
        unrecorded += len(set(delivered(out)) & await pending_chats(url, aid))
    last = start_worker(url, outs[2])
    assert await asyncio.to_thread(last.wait, 60) == 0
    counts = delivered(*outs)
    assert set(counts) == {str(i) for i in range(1, 601)}
    duplicates = sum(n - 1 for n in counts.values())
    assert duplicates <= unrecorded
    assert await finished(url, aid) == (600, 0)


@pytest.mark.slow
@pytest.mark.postgres
async def test_three_worker_processes_share_a_broadcast(pg_database: str, tmp_path: Path) -> None:
    aid = await seed(pg_database, 900)
    outs = [tmp_path / f"worker{i}.txt" for i in range(3)]
    workers = [start_worker(pg_database, out, "--latency", "0.005") for out in outs]
    codes = [await asyncio.to_thread(w.wait, 60) for w in workers]
    assert codes == [0, 0, 0]
    counts = delivered(*outs)
    assert counts == Counter({str(i): 1 for i in range(1, 901)})
    assert all(delivered(out).total() > 0 for out in outs)
    assert await finished(pg_database, aid) == (900, 0)


async def test_three_engines_share_one_broadcast(
    engine: object, database_url: str, clock: ManualClock
) -> None:
    pools = [create_engine(database_url) for _ in range(3)]
    platform = RecordingPlatform(clock, latency=0.002)
    sessions: list[async_sessionmaker[AsyncSession]] = [
        async_sessionmaker(p, expire_on_commit=False) for p in pools
    ]
    chats = [str(i) for i in range(1, 601)]
    await add_chats(sessions[0], clock.now(), chats)
    await publish(sessions[0], clock.now())
    config = DeliveryConfig(rates={"telegram": float("inf")}, concurrency=16, poll_interval=0.02)
    engines = [
        DeliveryEngine(SqlOutbox(s), {"telegram": platform}, clock, config) for s in sessions
    ]
    try:
        for e in engines:
            await e.start()
        await asyncio.gather(*(e.run_until_idle(timeout=30) for e in engines))
    finally:
        for e in engines:
            await e.stop()
        for p in pools:
            await p.dispose()
    assert platform.send_counts() == dict.fromkeys(chats, 1)
