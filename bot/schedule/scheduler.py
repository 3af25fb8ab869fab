"""The scheduler: fires anniversaries and scheduled posts on time, once, on one replica.

The database is the source of truth. APScheduler only wakes Herald at the next instant
something is due; every wake-up runs the same sweep, `tick()`, which claims each due
occurrence through a unique row (so restarts and replicas cannot repeat it) and publishes
due scheduled posts. One replica leads, holding the leadership lock (storage: a PostgreSQL
advisory lock; on SQLite every process leads); the others retry every `lock_retry` seconds
and take over when the holder's connection dies.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.domain import KeptAnniversary
from bot.i18n import LANGUAGES
from bot.metrics import Metrics, NoMetrics
from bot.ports import Clock
from bot.ports.stores import LeadershipLock, OccurrenceStore
from bot.schedule.messages import occurrence_message
from bot.schedule.occurrences import Occurrence, next_occurrence, occurrences_between
from bot.services.anniversaries import AnniversaryService
from bot.services.announcements import AnnouncementService
from bot.tags import tag_key

log = logging.getLogger(__name__)

SWEEP_JOB = "herald:sweep"
LEADER_JOB = "herald:leader"
JOB_PREFIX = "herald:anniversary:"
# On start, unclaimed occurrences this far behind the grace window are reported as skipped.
MISSED_LOOKBACK = timedelta(days=7)
_TICK = timedelta(microseconds=1)


def job_id(anniversary_id: int) -> str:
    """The APScheduler job id of an anniversary's next firing."""
    return f"{JOB_PREFIX}{anniversary_id}"


# How long stop() lets a running job (a sweep, an anniversary) finish before cancelling it.
_JOB_STOP_GRACE = 10.0


@dataclass(frozen=True, slots=True)
class _Due:
    kept: KeptAnniversary
    occurrence: Occurrence


class HeraldScheduler:
    """Anniversary and scheduled-post firing; `tick()` is one sweep at the clock's now."""

    def __init__(
        self,
        *,
        occurrences: OccurrenceStore,
        leadership: LeadershipLock,
        anniversaries: AnniversaryService,
        announcements: AnnouncementService,
        clock: Clock,
        grace: timedelta,
        language: str = "en",
        notify: Callable[[], None] = lambda: None,
        sweep_seconds: float = 30.0,
        lock_retry_seconds: float = 15.0,
        database_errors: tuple[type[Exception], ...] = (OSError,),
        metrics: Metrics | None = None,
    ) -> None:
        self._occurrences = occurrences
        self._lock = leadership
        self._anniversaries = anniversaries
        self._announcements = announcements
        self._clock = clock
        self.grace = grace
        self.language = language
        self._notify = notify
        self.sweep_seconds = sweep_seconds
        self.lock_retry_seconds = lock_retry_seconds
        # What a sweep survives (the database went away), logged and retried on the next one.
        self._database_errors = database_errors
        self._metrics: Metrics = metrics or NoMetrics()
        self._leading = False
        self._led = asyncio.Event()
        # Where the last sweep's "too late" window ended, so each miss is reported once.
        self._reported_until: datetime | None = None
        self._scheduler: AsyncIOScheduler | None = None
        self._sweeping = asyncio.Lock()
        self._electing = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        # APScheduler runs each job as a task of its own and does not wait for them at
        # shutdown: stop() does, so no job is left talking to a database being closed.
        self._jobs_running: set[asyncio.Task[object]] = set()
        self._job_tasks: set[asyncio.Task[object]] = set()  # APScheduler's, around ours
        self._broken: set[int] = set()

    @property
    def leading(self) -> bool:
        """Whether this replica fires (always, once elected, on SQLite)."""
        return self._leading

    def jobs(self) -> dict[str, datetime]:
        """Job id → next run time (UTC), for status pages and tests."""
        if self._scheduler is None:
            return {}
        return {
            str(job.id): job.next_run_time.astimezone(UTC)
            for job in self._scheduler.get_jobs()
            if job.next_run_time is not None
        }

    async def wait_until_leading(self) -> None:
        """Return once this replica leads (at once on SQLite after the first sweep)."""
        await self._led.wait()

    @property
    def running(self) -> bool:
        """Whether the APScheduler jobs are running."""
        return self._scheduler is not None

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Start APScheduler on the running loop, try to lead, catch up and plan the jobs."""
        if self._scheduler is not None:
            return
        scheduler = AsyncIOScheduler(event_loop=asyncio.get_running_loop(), timezone=UTC)
        common = {"coalesce": True, "max_instances": 1, "replace_existing": True}
        scheduler.add_job(
            self._sweep_job,
            IntervalTrigger(seconds=self.sweep_seconds, timezone=UTC),
            id=SWEEP_JOB,
            misfire_grace_time=None,
            **common,
        )
        if self._lock.contested:
            scheduler.add_job(
                self._leader_job,
                IntervalTrigger(seconds=self.lock_retry_seconds, timezone=UTC),
                id=LEADER_JOB,
                misfire_grace_time=None,
                **common,
            )
        self._scheduler = scheduler
        scheduler.start()
        # A database hiccup here must not stop Herald starting: the sweep job retries.
        await self._guarded(self._catch_up)
        await self._guarded(self.rebuild_jobs)

    async def _catch_up(self) -> None:
        fired = await self.tick()
        if fired:
            log.info("scheduler started: %d caught up", fired)

    async def stop(self) -> None:
        """Stop the jobs and give up leadership (another replica takes over)."""
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            scheduler.shutdown(wait=False)
            # Let the job tasks APScheduler has just cancelled finish; ours go on (below).
            await asyncio.sleep(0)
        if self._jobs_running:
            _, late = await asyncio.wait(self._jobs_running, timeout=_JOB_STOP_GRACE)
            for task in late:
                task.cancel()
            if late:
                await asyncio.gather(*late, return_exceptions=True)
        if self._job_tasks:
            await asyncio.wait(self._job_tasks, timeout=_JOB_STOP_GRACE)
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.resign()

    # --- leadership -----------------------------------------------------------------------

    async def elect(self) -> bool:
        """Lead if no other replica does (the leadership lock); check a held lock."""
        if not self._lock.contested:
            self._leading = True
            self._led.set()
            return True
        async with self._electing:
            if self._lock.held:
                if await self._lock.check():
                    return True
                self._not_leading()
                await self._lock.release()
            if not await self._lock.acquire():
                return False
            self._leading = True
            self._led.set()
            return True

    async def resign(self) -> None:
        """Release the lock: the next replica to retry leads."""
        async with self._electing:
            if self._lock.contested:
                self._not_leading()
            await self._lock.release()

    def _not_leading(self) -> None:
        self._leading = False
        self._led.clear()

    # --- the sweep ------------------------------------------------------------------------

    async def tick(self) -> int:
        """One sweep at the clock's now: fire due occurrences, publish due posts; how many."""
        async with self._sweeping:
            # A held lock is checked by the leader job; a lost one is caught there (and the
            # unique rows stop any repeat meanwhile).
            if not self._leading and not await self.elect():
                return 0
            now = self._clock.now()
            fired = await self._fire_due(now)
            posts = 0
            # Most sweeps find nothing: a read spares SQLite a write lock every time.
            if await self._occurrences.posts_due(now=now):
                posts = len(await self._announcements.publish_due())
            return fired + posts

    async def _fire_due(self, now: datetime) -> int:
        due_from = now - self.grace
        report_from = self._reported_until or due_from - MISSED_LOOKBACK
        candidates: list[_Due] = []
        for kept in await self._occurrences.kept_anniversaries():
            start = max(min(report_from, due_from), kept.created_at)
            if start > now:
                continue
            try:
                rule = self._anniversaries.rule(kept.anniversary)
            except (ValueError, KeyError) as exc:  # ZoneInfoNotFoundError is a KeyError
                if kept.anniversary.id not in self._broken:
                    self._broken.add(kept.anniversary.id)
                    log.error("anniversary %d cannot be scheduled: %s", kept.anniversary.id, exc)
                continue
            for occurrence in occurrences_between(
                rule, start, now + _TICK, self._anniversaries.policy
            ):
                candidates.append(_Due(kept, occurrence))
        self._reported_until = due_from
        if not candidates:
            return 0
        claimed = await self._occurrences.claimed_keys(
            anniversary_ids={d.kept.anniversary.id for d in candidates},
            first=min(d.occurrence.occurs_on for d in candidates),
            last=max(d.occurrence.occurs_on for d in candidates),
        )
        # A reminder overtaken by a later firing of the same date (both missed) stays silent.
        latest: dict[tuple[int, date], datetime] = {}
        for due in candidates:
            key = (due.kept.anniversary.id, due.occurrence.occurs_on)
            latest[key] = max(latest.get(key, due.occurrence.fire_at), due.occurrence.fire_at)
        fired = 0
        for due in candidates:
            occurrence = due.occurrence
            if (occurrence.anniversary_id, occurrence.occurs_on, occurrence.kind) in claimed:
                continue
            if occurrence.fire_at < due_from:
                log.warning(
                    "anniversary %d %s on %s was due at %s, more than %s ago: skipped",
                    occurrence.anniversary_id, occurrence.kind, occurrence.occurs_on,
                    occurrence.fire_at.isoformat(), self.grace,
                )
                continue
            if occurrence.fire_at < latest[(occurrence.anniversary_id, occurrence.occurs_on)]:
                continue
            if await self._claim(due, now):
                fired += 1
        if fired:
            self._metrics.anniversaries_fired(fired)
            self._notify()
        return fired

    async def _claim(self, due: _Due, now: datetime) -> bool:
        anniversary, occurrence = due.kept.anniversary, due.occurrence
        translations = {
            language: occurrence_message(anniversary, occurrence, language)
            for language in LANGUAGES
        }
        title, body = translations.get(self.language) or occurrence_message(
            anniversary, occurrence, self.language
        )
        claimed = await self._occurrences.claim_occurrence(
            anniversary_id=anniversary.id,
            occurs_on=occurrence.occurs_on,
            kind=occurrence.kind,
            title=title,
            body=body,
            tag_keys=sorted({k for k in map(tag_key, anniversary.tags) if k}),
            now=now,
            translations=translations,
        )
        if claimed is None:
            return False
        late = now - occurrence.fire_at
        log.info(
            "anniversary %d %s on %s fired%s",
            anniversary.id, occurrence.kind, occurrence.occurs_on,
            f" {late} late" if late > timedelta(minutes=1) else "",
        )
        return True

    # --- planning the APScheduler jobs ----------------------------------------------------

    async def plan(self, after: datetime | None = None) -> dict[int, Occurrence]:
        """Each anniversary's next firing strictly after `after` (default: now)."""
        moment = after or self._clock.now()
        planned: dict[int, Occurrence] = {}
        for kept in await self._occurrences.kept_anniversaries():
            try:
                rule = self._anniversaries.rule(kept.anniversary)
            except (ValueError, KeyError):
                continue
            found = next_occurrence(rule, moment, self._anniversaries.policy)
            if found is not None:
                planned[kept.anniversary.id] = found
        return planned

    async def rebuild_jobs(self, after: datetime | None = None) -> None:
        """Make the jobs match the database: one DateTrigger per anniversary's next firing."""
        scheduler = self._scheduler
        if scheduler is None:
            return
        now = self._clock.now()
        planned = await self.plan(max(now, after) if after else now)
        wanted = {job_id(aid): occurrence.fire_at for aid, occurrence in planned.items()}
        for job in scheduler.get_jobs():
            if str(job.id).startswith(JOB_PREFIX) and job.id not in wanted:
                job.remove()
        misfire = max(60, int(self.grace.total_seconds()))
        for jid, fire_at in wanted.items():
            existing = scheduler.get_job(jid)
            if existing is not None and existing.next_run_time == fire_at:
                continue
            scheduler.add_job(
                self._anniversary_job,
                DateTrigger(run_date=fire_at, timezone=UTC),
                id=jid,
                kwargs={"planned": fire_at},
                replace_existing=True,
                coalesce=True,
                misfire_grace_time=misfire,
            )

    def rebuild(self) -> None:
        """Rebuild the jobs soon (the anniversary service calls this after every change)."""
        if self._scheduler is None:
            return
        self._spawn(self.rebuild_jobs())

    async def settle(self) -> None:
        """Wait for rebuilds already asked for."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, work: Coroutine[object, object, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("scheduler job rebuild failed", exc_info=exc)

    async def _anniversary_job(self, planned: datetime) -> None:
        async def work() -> None:
            await self._guarded(self.tick)
            await self._guarded(lambda: self.rebuild_jobs(after=planned))

        await self._owned(work())

    async def _sweep_job(self) -> None:
        async def work() -> None:
            await self._guarded(self.tick)
            await self._guarded(self.rebuild_jobs)

        await self._owned(work())

    async def _leader_job(self) -> None:
        async def work() -> None:
            if not self._leading:
                # Becoming the leader includes its catch-up sweep.
                await self._guarded(self.tick)
            else:
                await self._guarded(self.elect)

        await self._owned(work())

    async def _owned(self, work: Coroutine[object, object, None]) -> None:
        # APScheduler cancels its job tasks at shutdown, mid-transaction; the work runs in a
        # task of ours instead, shielded from that, and stop() waits for it.
        task: asyncio.Task[object] = asyncio.ensure_future(work)
        self._jobs_running.add(task)
        task.add_done_callback(self._job_done)
        if (outer := asyncio.current_task()) is not None:
            self._job_tasks.add(outer)
            outer.add_done_callback(self._job_tasks.discard)
        await asyncio.shield(task)

    def _job_done(self, task: asyncio.Task[object]) -> None:
        self._jobs_running.discard(task)
        if task.cancelled():
            return
        exc = task.exception()  # retrieved here too: its APScheduler task may be gone
        if exc is not None and self._scheduler is None:
            log.error("scheduler job failed while stopping", exc_info=exc)

    async def _guarded(self, work: Callable[[], Awaitable[object]]) -> None:
        if self._scheduler is None:
            return  # stopped while this job ran: start nothing new
        try:
            await work()
        except self._database_errors:
            log.exception("scheduler sweep failed; retrying on the next one")
