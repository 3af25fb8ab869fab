"""The APScheduler side: jobs rebuilt from the database, each job running the same sweep."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import NewAnnouncement, Status
from bot.ports import ManualClock
from bot.schedule.scheduler import JOB_PREFIX, LEADER_JOB, SWEEP_JOB, job_id

from .conftest import Make
from .support import OWNER


async def test_jobs_follow_the_anniversaries(make: Make, clock: ManualClock) -> None:
    clock.set(datetime(2026, 11, 29, 12, 0, tzinfo=UTC))
    herald = make(grace=timedelta(hours=12))
    liberation = await herald.add("the liberation of Korea", 8, 15, 1945, zone="Asia/Seoul")
    scheduler = herald.scheduler()
    herald.listeners.append(scheduler.rebuild)
    await scheduler.start()

    ids = set(scheduler.jobs())
    expected = {SWEEP_JOB, job_id(liberation.id)}
    if herald.engine.dialect.name == "postgresql":
        expected.add(LEADER_JOB)
    assert ids == expected
    job = _job(scheduler, job_id(liberation.id))
    assert job.trigger.run_date == datetime(2027, 8, 15, 0, 0, tzinfo=UTC)
    assert job.misfire_grace_time == 12 * 3600, "a restart within grace still runs it"

    victory = await herald.add("Victory Day", 5, 9, 1945, zone="Europe/Moscow")
    await scheduler.settle()
    assert scheduler.jobs()[job_id(victory.id)] == datetime(2027, 5, 9, 6, 0, tzinfo=UTC)
    await herald.anniversaries.remove(liberation.id, actor=OWNER)
    await scheduler.settle()
    assert {j for j in scheduler.jobs() if j.startswith(JOB_PREFIX)} == {job_id(victory.id)}


async def test_an_anniversary_job_fires_and_plans_the_next_year(
    make: Make, clock: ManualClock
) -> None:
    clock.set(datetime(2026, 11, 29, 12, 0, tzinfo=UTC))
    herald = make()
    await herald.chat("1", everything=True)
    victory = await herald.add("Victory Day", 5, 9, 1945, zone="Europe/Moscow")
    scheduler = herald.scheduler()
    await scheduler.start()
    job = _job(scheduler, job_id(victory.id))

    clock.set(job.trigger.run_date)
    await job.func(**job.kwargs)

    [row] = await herald.occurrences()
    assert row.title == "Today is the 82nd anniversary of Victory Day"
    assert herald.wakes.count == 1
    assert scheduler.jobs()[job_id(victory.id)] == datetime(2028, 5, 9, 6, 0, tzinfo=UTC)


async def test_the_sweep_job_publishes_scheduled_posts(make: Make, clock: ManualClock) -> None:
    clock.set(datetime.now(UTC))
    herald = make()
    await herald.chat("1", everything=True)
    scheduler = herald.scheduler(sweep_seconds=0.05)
    await scheduler.start()
    created = await herald.repo.announcements.create(
        NewAnnouncement(title="Concert", body="Tonight", tags=(), created_by=OWNER),
        status=Status.DRAFT, now=clock.now(), actor=OWNER,
    )
    await herald.announcements.schedule(created.announcement.id, clock.now(), actor=OWNER)

    await asyncio.wait_for(herald.wakes.event.wait(), timeout=10)
    published = await herald.announcements.get(created.announcement.id)
    assert published is not None
    assert published.status is Status.PUBLISHED
    assert len(await herald.deliveries()) == 1


def _jobs(scheduler: object) -> list[_Job]:
    inner = getattr(scheduler, "_scheduler", None)
    assert inner is not None, "the scheduler is not running"
    return list(inner.get_jobs())


def _job(scheduler: object, jid: str) -> _Job:
    [found] = [job for job in _jobs(scheduler) if job.id == jid]
    return found


class _Job:
    """What the tests read from an APScheduler job (APScheduler 3 has no type hints)."""

    id: str
    trigger: _Trigger
    misfire_grace_time: int
    kwargs: dict[str, object]

    async def func(self, **kwargs: object) -> None:
        """The job's coroutine."""


class _Trigger:
    run_date: datetime


class _Sweeps:
    """Counts the sweeps running, and those begun after stop() returned."""

    def __init__(self) -> None:
        self.running = 0
        self.stopped = False
        self.late = 0

    def counting(self, tick: Callable[[], Awaitable[int]]) -> Callable[[], Awaitable[int]]:
        async def counted() -> int:
            self.late += self.stopped
            self.running += 1
            try:
                await asyncio.sleep(0.002)  # a sweep in progress when stop() comes
                return await tick()
            finally:
                self.running -= 1

        return counted


async def test_stop_waits_for_the_jobs_it_started(
    make: Make, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # APScheduler cancels its job tasks at shutdown and does not wait for them; a job cut
    # mid-transaction, or one still talking to a database the caller closes next, would end
    # in errors at exit. Once stop() returns, no sweep is running and none starts.
    clock.set(datetime.now(UTC))
    herald = make()
    await herald.chat("1", everything=True)
    sweeps = _Sweeps()
    for _ in range(20):
        scheduler = herald.scheduler(sweep_seconds=0.005)
        monkeypatch.setattr(scheduler, "tick", sweeps.counting(scheduler.tick))
        sweeps.stopped = False
        await scheduler.start()
        await asyncio.sleep(0.03)
        await scheduler.stop()
        sweeps.stopped = True
        assert sweeps.running == 0, "stop() returned while a sweep was running"
        await asyncio.sleep(0.02)
        assert (sweeps.running, sweeps.late) == (0, 0)
