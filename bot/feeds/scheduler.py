"""One APScheduler job per feed source, fired at its next poll, on the leading replica only.

The database keeps each source's next poll (with jitter, backoff, Retry-After and max-age
already in it); the jobs are rebuilt from it every `resync_seconds`, so sources added,
paused or removed from the shell in another process are picked up. A replica that does not
lead (the scheduler's leadership lock) lets its jobs pass. Every process leads on SQLite, so a
job claims its source's poll first (`FeedService.poll_if_due`): of two processes on one file,
one fetches; and the store's unique rows keep an entry single whoever polls.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.feeds.service import FeedService, UnknownSource
from bot.ports import Clock

log = logging.getLogger(__name__)

JOB_PREFIX = "herald:feed:"
RESYNC_JOB = "herald:feeds"
# Sources overdue at start (Herald was down) are spread over this much, not fetched at once.
START_SPREAD = 60.0


def job_id(source_id: int) -> str:
    """The APScheduler job id of a source's next poll."""
    return f"{JOB_PREFIX}{source_id}"


class FeedScheduler:
    """Plans and fires the polls; `leading()` says whether this replica may poll."""

    def __init__(
        self,
        service: FeedService,
        clock: Clock,
        *,
        leading: Callable[[], bool],
        resync_seconds: float = 60.0,
        database_errors: tuple[type[Exception], ...] = (OSError,),
        jitter: Callable[[float], float] | None = None,
    ) -> None:
        self._service = service
        self._clock = clock
        self._leading = leading
        self.resync_seconds = resync_seconds
        self._database_errors = database_errors
        self._jitter = jitter or _spread
        self._scheduler: AsyncIOScheduler | None = None

    @property
    def running(self) -> bool:
        """Whether the jobs are running."""
        return self._scheduler is not None

    def jobs(self) -> dict[int, datetime]:
        """Source id → the planned poll (UTC)."""
        if self._scheduler is None:
            return {}
        return {
            int(str(job.id).removeprefix(JOB_PREFIX)): job.next_run_time.astimezone(UTC)
            for job in self._scheduler.get_jobs()
            if str(job.id).startswith(JOB_PREFIX) and job.next_run_time is not None
        }

    async def start(self) -> None:
        """Start APScheduler on the running loop and plan every active source."""
        if self._scheduler is not None:
            return
        scheduler = AsyncIOScheduler(event_loop=asyncio.get_running_loop(), timezone=UTC)
        scheduler.add_job(
            self._resync_job,
            IntervalTrigger(seconds=self.resync_seconds, timezone=UTC),
            id=RESYNC_JOB,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )
        self._scheduler = scheduler
        self._service.planned = self.plan
        scheduler.start()
        await self._guarded(self.resync)

    async def stop(self) -> None:
        """Stop the jobs (a poll in flight is cancelled; its entries are claimed atomically)."""
        scheduler, self._scheduler = self._scheduler, None
        self._service.planned = lambda _id, _when: None
        if scheduler is not None:
            scheduler.shutdown(wait=False)

    async def resync(self) -> None:
        """Make the jobs match the sources: one per active source at its next poll."""
        scheduler = self._scheduler
        if scheduler is None:
            return
        sources = await self._service.sources()
        wanted = {s.id: s.next_poll for s in sources if not s.paused}
        for job in scheduler.get_jobs():
            jid = str(job.id)
            if jid.startswith(JOB_PREFIX) and int(jid.removeprefix(JOB_PREFIX)) not in wanted:
                job.remove()
        for source_id, when in wanted.items():
            self.plan(source_id, when or self._clock.now())

    def plan(self, source_id: int, when: datetime) -> None:
        """(Re)plan one source's poll at `when` (overdue ones within START_SPREAD seconds)."""
        scheduler = self._scheduler
        if scheduler is None:
            return
        now = self._clock.now()
        existing = scheduler.get_job(job_id(source_id))
        if existing is not None and existing.next_run_time is not None:
            planned = existing.next_run_time.astimezone(UTC)
            # An overdue poll already planned soon keeps its slot (a resync must not push it).
            soon = planned <= now + timedelta(seconds=START_SPREAD)
            if planned == when or (when <= now and soon):
                return
        if when <= now:
            when = now + timedelta(seconds=self._jitter(START_SPREAD))
        scheduler.add_job(
            self._poll_job,
            DateTrigger(run_date=when, timezone=UTC),
            id=job_id(source_id),
            args=[source_id],
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )

    async def _poll_job(self, source_id: int) -> None:
        if not self._leading():
            # Another replica polls; look again at the next resync.
            return
        await self._guarded(lambda: self._service.poll_if_due(source_id))

    async def _resync_job(self) -> None:
        await self._guarded(self.resync)

    async def _guarded(self, work: Callable[[], object]) -> None:
        try:
            result = work()
            if asyncio.iscoroutine(result):
                await result
        except UnknownSource:
            return
        except self._database_errors:
            log.exception("feed polling hit a database error; retrying at the next resync")


def _spread(seconds: float) -> float:
    import random

    # Not a secret: spreads overdue polls after a restart.
    return random.uniform(0.0, seconds)  # noqa: S311
