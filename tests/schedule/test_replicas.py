"""Several schedulers on one database: one leads (PostgreSQL lock), each firing happens once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.ports import ManualClock
from bot.schedule.scheduler import HeraldScheduler
from storage.engine import DATABASE_ERRORS, create_engine
from storage.leadership import LOCK_KEY, AdvisoryLock
from storage.repository import Repository

from .conftest import Make
from .support import Herald, build

SEOUL_NINE = datetime(2026, 8, 15, 0, 0, tzinfo=UTC)


async def test_racing_schedulers_fire_each_occurrence_once(
    make: Make, clock: ManualClock, database_url: str
) -> None:
    herald = make()
    for n in range(3):
        await herald.chat(str(n), everything=True)
    await herald.add("the liberation of Korea", 8, 15, 1945, zone="Asia/Seoul")
    # A second process: its own engine and services over the same database.
    other_engine = create_engine(database_url)
    try:
        other = build(Repository.for_engine(other_engine), other_engine, clock)
        schedulers = [herald.scheduler(), herald.scheduler(), other.scheduler()]
        clock.set(SEOUL_NINE)
        fired = await asyncio.gather(*(s.tick() for s in schedulers))
        assert sum(fired) == 1
        assert len(await herald.occurrences()) == 1
        assert len(await herald.deliveries()) == 3
        await other.close()
    finally:
        await other_engine.dispose()


@pytest.mark.postgres
async def test_split_brain_still_fires_once(
    make: Make, clock: ManualClock, engine: AsyncEngine
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the advisory lock exists on PostgreSQL only")
    herald = make()
    await herald.chat("1", everything=True)
    await herald.add("the liberation of Korea", 8, 15, 1945, zone="Asia/Seoul")
    # Two leaders at once (as if each held a different lock): the unique row decides.
    brains = [_scheduler(herald, lock_key=LOCK_KEY + n) for n in range(4)]
    try:
        assert all([await b.elect() for b in brains])
        clock.set(SEOUL_NINE)
        assert sorted(await asyncio.gather(*(b.tick() for b in brains))) == [0, 0, 0, 1]
        assert len(await herald.deliveries()) == 1
    finally:
        for brain in brains:
            await brain.stop()


async def test_only_one_replica_leads_and_another_takes_over_when_it_dies(
    make: Make, clock: ManualClock, engine: AsyncEngine
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs on one host: every scheduler leads, unique rows guard")
    herald = make()
    await herald.chat("1", everything=True)
    await herald.add("the liberation of Korea", 8, 15, 1945, zone="Asia/Seoul")
    first = herald.scheduler()
    second = herald.scheduler(lock_retry_seconds=0.05)

    assert await first.elect()
    assert not await second.elect()
    clock.set(SEOUL_NINE)
    assert await second.tick() == 0, "a follower fires nothing"
    assert await first.tick() == 1

    # The holder's session ends (its process died): the follower's retry job takes over.
    clock.set(datetime.now(UTC))
    await second.start()
    assert not second.leading
    async with engine.connect() as admin:
        pids = (
            await admin.execute(
                text(
                    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND objid = :low AND classid = :high"
                ),
                {"low": LOCK_KEY & 0xFFFFFFFF, "high": LOCK_KEY >> 32},
            )
        ).scalars().all()
        assert len(pids) == 1
        await admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pids[0]})
        await admin.commit()
    await asyncio.wait_for(second.wait_until_leading(), timeout=10)
    assert second.leading
    assert not await first.elect(), "the old leader notices it lost the lock"
    assert not first.leading


async def test_stopping_the_leader_hands_over(make: Make, clock: ManualClock) -> None:
    herald = make()
    first, second = herald.scheduler(), herald.scheduler()
    assert await first.elect()
    await first.stop()
    assert await second.elect()
    assert second.leading


def _scheduler(herald: Herald, *, lock_key: int) -> HeraldScheduler:
    scheduler = HeraldScheduler(
        occurrences=herald.repo.occurrences, leadership=AdvisoryLock(herald.engine, lock_key),
        anniversaries=herald.anniversaries, announcements=herald.announcements,
        clock=herald.clock, grace=timedelta(hours=12), database_errors=DATABASE_ERRORS,
    )
    return scheduler
