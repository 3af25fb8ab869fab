"""The delivery engine: drains the outbox through each Platform at the speed it allows."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import random
import time
from collections.abc import Awaitable, Coroutine, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from bot.delivery.config import DeliveryConfig
from bot.delivery.identity import this_process
from bot.delivery.pacing import ChatPacer, RateLimiter
from bot.delivery.render import (
    MessageCache,
    chat_interval,
    retraction,
    target_of,
)
from bot.delivery.writer import Writer
from bot.domain import DeliveryAction
from bot.metrics import Metrics, NoMetrics
from bot.ports import (
    BadMessage,
    Clock,
    DeliveryError,
    MessageTooOld,
    OutboundMessage,
    PhotoRefused,
    Platform,
    RetryLater,
    Target,
    TargetGone,
    TargetMoved,
    Transient,
)
from bot.ports.outbox import Claimed, Outbox, Outcome, OutcomeKind, UnitOfWork

log = logging.getLogger(__name__)
# Rows taken over from a dead owner become claimable about a second later (storage waits out
# the platforms' one-second windows): the engine looks again just after.
_TAKEOVER_LOOK = 1.1

_jitter = random.SystemRandom()
_T = TypeVar("_T")
# A claimed row and the number of the claim that brought it (see DeliveryEngine._gone).
_Job = tuple[int, Claimed]


class _Lane:
    """One platform: its claim loop, a fixed pool of senders, its limiter and pacing."""

    def __init__(self, platform: Platform, config: DeliveryConfig) -> None:
        self.platform = platform
        self.name = platform.name
        self.limiter = RateLimiter(
            config.rate(self.name, platform.limits), safety=config.rate_safety
        )
        self.pacer = ChatPacer()
        self.queue: asyncio.Queue[_Job] = asyncio.Queue()
        self.outstanding = 0  # claimed rows not yet finished: queued or being sent
        self.claiming = False
        self.claims_started = 0  # claims begun so far
        self.found_nothing = 0  # the number of the latest claim that found no row
        # When the earliest row this lane put back falls due (clock timestamp), to look then.
        self.next_retry: float | None = None
        self.room = asyncio.Event()
        self.wake = asyncio.Event()
        # Senders: as many requests as the platform's client carries at once.
        self.concurrency = config.senders(platform.limits)
        high = 8 * self.concurrency
        if not self.limiter.unlimited:
            # Never hold more rows than the rate can send well within their lease.
            high = min(high, max(8, int(self.limiter.target * config.lease_seconds / 4)))
        self.high_water = high
        # Claim in sizeable batches: each claim is a transaction.
        self.low_claim = max(1, min(high // 2, self.concurrency))


class DeliveryEngine:
    """Claims due outbox rows, sends them through each Platform, and records the results."""

    def __init__(
        self,
        outbox: Outbox,
        platforms: Mapping[str, Platform],
        clock: Clock,
        config: DeliveryConfig | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._outbox = outbox
        self._platforms = dict(platforms)
        self._clock = clock
        self._config = config or DeliveryConfig()
        self._metrics: Metrics = metrics or NoMetrics()
        identity = this_process()
        if self._config.owner:
            identity = dataclasses.replace(identity, id=self._config.owner)
        self._identity = identity
        self.owner = identity.id
        # Ids of the rows this engine leases and has not recorded: the heartbeat renews them.
        self._leased: set[int] = set()
        # Rows the heartbeat found no longer ours (finished elsewhere, or taken over).
        self._lost: set[int] = set()
        # Chats found gone → the number of claims begun when that was recorded (None until
        # then) and when: rows from claims up to that number still think the chat is active.
        self._gone: dict[int, tuple[int | None, float]] = {}
        self._claims_begun = 0
        self._heartbeat_task: asyncio.Task[None] | None = None
        self._lanes: list[_Lane] = []
        self._loops: list[asyncio.Task[None]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._writer: Writer | None = None
        self._writer_task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        # Done once a stop begins: waits for a turn (pacing, the rate limiter) give up on it.
        self._stop_signal: asyncio.Future[bool] | None = None
        self._claim_done = asyncio.Event()
        self._messages = MessageCache(
            default_language=self._config.language, public_url=self._config.public_url
        )
        # Announcements whose photo a platform refused, (platform, id): sent without it.
        self._photo_refused: set[tuple[str, int]] = set()
        self._photoless = MessageCache(
            default_language=self._config.language,
            photo_note=self._config.photo_note,
            public_url=self._config.public_url,
        )
        self._held: dict[str, UnitOfWork] = {}

    def pace(self, name: str) -> tuple[float, int]:
        """The messages per second and the requests in flight this engine allows a platform."""
        limits = self._platforms[name].limits
        return self._config.rate(name, limits), self._config.senders(limits)

    @property
    def running(self) -> bool:
        """True between start() and stop()."""
        return bool(self._loops)

    async def start(self) -> None:
        """Begin draining the outbox in background tasks."""
        if self.running:
            return
        self._stopping = asyncio.Event()
        self._stop_signal = asyncio.get_running_loop().create_future()
        self._lanes = [_Lane(p, self._config) for p in self._platforms.values()]
        # Each loop keeps its own connection: lanes claim concurrently on PostgreSQL.
        self._held = {lane.name: self._outbox.claims() for lane in self._lanes}
        self._leased.clear()
        self._lost.clear()
        self._gone.clear()
        self._writer = Writer(
            self._outbox.results(), self._clock, self._config, recorded=self._recorded
        )
        # Before the first claim: say who we are, and free the rows of owners that died.
        await self._take_over(register=True)
        self._heartbeat_task = asyncio.create_task(self._heartbeat())
        # Rows put back (retries, moved chats) may be due at once: look again after writing.
        self._writer_task = asyncio.create_task(self._writer.run(self._stopping, self.wake))
        self._loops = [asyncio.create_task(self._run_lane(lane)) for lane in self._lanes]
        for lane in self._lanes:
            for _ in range(lane.concurrency):
                task = asyncio.create_task(self._sender(lane))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        paces = ", ".join(
            f"{name} ({rate:g}/s, {senders} in flight)"
            for name, (rate, senders) in ((name, self.pace(name)) for name in self._platforms)
        )
        log.info("delivery engine %s started for %s", self.owner, paces)

    def stop_sending(self) -> None:
        """Begin the stop: claim nothing more and start no send; stop() finishes it."""
        if not self.running:
            return
        self._stopping.set()
        assert self._stop_signal is not None
        if not self._stop_signal.done():
            self._stop_signal.set_result(True)

    async def stop(self) -> None:
        """Stop claiming, hand back rows not started, let sends in flight finish, flush."""
        if not self.running:
            return
        self.stop_sending()
        self.wake()
        for lane in self._lanes:
            lane.room.set()
        assert self._writer is not None
        self._writer.kick()  # its loop sees the stop now, not after a flush interval
        await asyncio.gather(*self._loops, return_exceptions=True)
        for lane in self._lanes:
            self._release_queued(lane)
        deadline = asyncio.get_running_loop().time() + self._config.stop_grace
        while True:
            # Rows handed back (queued, or waiting for their turn) are written at once, so
            # another process may take them while the sends in flight finish.
            await self._writer.flush()
            if not any(lane.outstanding for lane in self._lanes):
                break
            if asyncio.get_running_loop().time() >= deadline:
                break
            for lane in self._lanes:
                lane.room.clear()
            waits = [asyncio.ensure_future(lane.room.wait()) for lane in self._lanes]
            try:
                await asyncio.wait(
                    waits,
                    timeout=max(0.0, deadline - asyncio.get_running_loop().time()),
                    return_when=asyncio.FIRST_COMPLETED,
                )
            finally:
                for waiting in waits:
                    waiting.cancel()
        # Sends still hanging are abandoned: their leases expire and another worker retries.
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._writer_task is not None:
            await asyncio.gather(self._writer_task, return_exceptions=True)
        if self._heartbeat_task is not None:
            self._heartbeat_task.cancel()
            await asyncio.gather(self._heartbeat_task, return_exceptions=True)
            self._heartbeat_task = None
        # The last results must not be dropped: a row sent but not recorded is sent again
        # once its lease runs out. Keep trying for the grace period, then say what is lost.
        finish_by = asyncio.get_running_loop().time() + self._config.stop_grace
        await self._writer.flush()
        while len(self._writer) and asyncio.get_running_loop().time() < finish_by:
            await self._writer.flush()
        if len(self._writer):
            log.error(
                "stopping with %d delivery results unrecorded; those rows will be retried "
                "when their leases expire", len(self._writer),
            )
        else:
            await self._release_all()
        for held in self._held.values():
            await held.close()
        await self._writer.close()
        self._loops = []
        self._writer_task = None
        log.info("delivery engine %s stopped", self.owner)

    def _release_queued(self, lane: _Lane, after: float = 0.0) -> None:
        """Rows claimed but not started go back (due in `after` s), attempt not counted."""
        assert self._writer is not None
        while not lane.queue.empty():
            _, row = lane.queue.get_nowait()
            lane.outstanding -= 1
            self._writer.add(self._retry_at(row, after, counts_attempt=False))
        lane.room.set()

    def wake(self) -> None:
        """Look for due rows now (the publisher calls this after committing new rows)."""
        for lane in self._lanes:
            lane.wake.set()

    # --- leases: heartbeat, takeover, release ------------------------------------------------

    async def _take_over(self, *, register: bool = False) -> None:
        """Free the rows of owners provably dead (and first register this one)."""
        try:
            async with self._outbox.begin() as work:
                now = self._clock.now()
                if register:
                    await work.register(self._identity, now)
                freed = await work.take_over(self._identity, now, self._config.lease_seconds)
        except Exception:
            log.exception("checking for dead delivery owners failed")
            return
        if freed:
            log.warning("took over %d deliveries leased by processes that died", freed)
            # They become claimable a second from now (storage's TAKEOVER_QUIET): look then.
            asyncio.get_running_loop().call_later(_TAKEOVER_LOOK, self.wake)

    async def _heartbeat(self) -> None:
        """Renew the leases of the rows held, drop rows no longer ours, take over the dead."""
        interval = self._config.heartbeat_interval or self._config.lease_seconds / 4
        while True:
            await asyncio.sleep(interval)
            held = set(self._leased)
            try:
                async with self._outbox.begin() as work:
                    kept = await work.renew(
                        self._identity, held, now=self._clock.now(),
                        lease_seconds=self._config.lease_seconds,
                    )
            except Exception:
                log.exception("renewing delivery leases failed")
            else:
                # Recorded meanwhile, or finished elsewhere: either way not ours to send.
                gone = held - kept
                self._lost |= gone & self._leased
                self._leased -= gone
            await self._take_over()
            self._forget_gone()

    async def _release_all(self) -> None:
        """At stop, after the last results: hand back whatever this engine still leases."""
        try:
            async with self._outbox.begin() as work:
                freed = await work.release(self.owner, self._clock.now())
        except Exception:
            log.exception("handing back delivery leases failed; they lapse on their own")
            return
        if freed:
            log.info("handed back %d deliveries not sent", freed)

    def _recorded(self, outcomes: Sequence[Outcome]) -> None:
        """The writer committed these: their rows are no longer leased by us."""
        mark = self._claims_begun
        for outcome in outcomes:
            self._leased.discard(outcome.delivery_id)
            self._lost.discard(outcome.delivery_id)
            if outcome.kind == OutcomeKind.CHAT_GONE and outcome.chat_id in self._gone:
                # Claims begun from now on see the chat inactive; earlier ones may not.
                self._gone[outcome.chat_id] = (mark, asyncio.get_running_loop().time())

    def _is_gone(self, chat_id: int, claim_number: int) -> bool:
        found = self._gone.get(chat_id)
        if found is None:
            return False
        mark, _ = found
        return mark is None or claim_number <= mark

    def _forget_gone(self) -> None:
        # Rows claimed before a chat's deactivation are long sent or skipped after two leases.
        horizon = asyncio.get_running_loop().time() - 2 * self._config.lease_seconds
        for chat_id, (mark, since) in list(self._gone.items()):
            if mark is not None and since < horizon:
                del self._gone[chat_id]

    # A plain timeout argument keeps test call sites short; it bounds the whole drain.
    async def run_until_idle(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Work until no row is claimable now and nothing is in flight (for tests and CLIs)."""
        started_here = not self.running
        if started_here:
            await self.start()
        try:
            await asyncio.wait_for(self._until_idle(), timeout)
        finally:
            if started_here:
                await self.stop()

    async def _until_idle(self) -> None:
        # Idle means: nothing in flight, nothing unwritten, and a claim that began after that
        # found no row. (Asking "is a claim running right now?" raced with the claims this
        # loop itself wakes: on a slow machine every look saw one running, until the timeout.)
        while True:
            writer = self._writer
            assert writer is not None
            if not any(lane.outstanding for lane in self._lanes):
                # Flush only when the lanes are quiet: while they work, the writer batches.
                await writer.flush()
                if not len(writer) and not any(lane.outstanding for lane in self._lanes):
                    await self._fresh_claims()
                    if not len(writer) and not any(lane.outstanding for lane in self._lanes):
                        return
            await asyncio.sleep(0.01)

    async def _fresh_claims(self) -> None:
        """Wake every lane; return once each found rows or began a claim after now that found none.

        A lane in a global pause claims nothing: it counts as done when no row of its is due.
        """
        marks = {lane.name: lane.claims_started for lane in self._lanes}
        self.wake()
        while True:
            waiting = [
                lane for lane in self._lanes
                if not lane.outstanding and lane.found_nothing <= marks[lane.name]
            ]
            if not waiting:
                return
            paused = [lane.name for lane in waiting if lane.limiter.paused_for() > 0]
            self._claim_done.clear()
            if not paused:
                await self._claim_done.wait()
                continue
            if len(paused) == len(waiting):
                due = await self._outbox.count_claimable(platforms=paused, now=self._clock.now())
                if due == 0:
                    return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._claim_done.wait(), 0.05)

    # --- the claim loop -------------------------------------------------------------------

    async def _run_lane(self, lane: _Lane) -> None:
        config = self._config
        while not self._stopping.is_set():
            pause = lane.limiter.paused_for()
            if pause > 0:
                # The platform asked for silence: claim nothing until it ends.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), pause)
                continue
            room = lane.high_water - lane.outstanding
            if room < lane.low_claim:
                lane.room.clear()
                await lane.room.wait()
                continue
            lane.wake.clear()
            lane.claiming = True
            lane.claims_started += 1
            number = lane.claims_started
            self._claims_begun += 1
            claim_number = self._claims_begun
            try:
                async with self._held[lane.name].begin() as work:
                    rows = await work.claim(
                        platforms=[lane.name],
                        owner=self.owner,
                        now=self._clock.now(),
                        lease_seconds=config.lease_seconds,
                        # Starving senders get a quick small batch; fed ones a big one.
                        limit=room if lane.outstanding >= lane.concurrency
                        else min(room, 2 * lane.concurrency),
                    )
            except Exception:
                log.exception("claiming deliveries for %s failed", lane.name)
                rows = []
            finally:
                lane.claiming = False
            lane.outstanding += len(rows)
            for row in rows:
                self._leased.add(row.id)
                lane.queue.put_nowait((claim_number, row))
            if not rows:
                lane.found_nothing = number
            self._claim_done.set()
            if not rows:
                await self._idle_wait(lane)

    async def _idle_wait(self, lane: _Lane) -> None:
        timeout = self._config.poll_interval
        if lane.next_retry is not None:
            gap = lane.next_retry - self._clock.now().timestamp()
            if gap <= 0:
                lane.next_retry = None
            timeout = min(timeout, max(0.005, gap + 0.005))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(lane.wake.wait(), timeout)

    async def _sender(self, lane: _Lane) -> None:
        """One of the lane's senders: takes claimed rows and carries them out, one at a time."""
        while True:
            claim_number, row = await lane.queue.get()
            try:
                outcome = await self._carry_out(lane, row, claim_number)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a bug must not lose the row: retry it like a transient
                log.exception("delivery %d failed unexpectedly", row.id)
                outcome = self._backoff(row, f"internal error: {exc!r}")
            finally:
                lane.outstanding -= 1
                lane.room.set()
            if outcome is None:  # no longer ours: nothing to record
                self._leased.discard(row.id)
                continue
            # A row put back without counting an attempt (pacing, 429, a pause) was deferred.
            kind = outcome.kind if outcome.counts_attempt else "deferred"
            self._metrics.delivery(lane.name, row.action, kind)
            if outcome.kind == OutcomeKind.RETRY and outcome.due_at is not None:
                due = outcome.due_at.timestamp()
                lane.next_retry = due if lane.next_retry is None else min(lane.next_retry, due)
            assert self._writer is not None
            self._writer.add(outcome)

    # --- one row --------------------------------------------------------------------------

    def _outcome(
        self,
        row: Claimed,
        kind: OutcomeKind,
        *,
        message_ids: tuple[str, ...] = (),
        revision: int = 0,
        notice: bool = False,
        due_at: datetime | None = None,
        counts_attempt: bool = True,
        reason: str | None = None,
        new_external_id: str | None = None,
    ) -> Outcome:
        return Outcome(
            delivery_id=row.id, chat_id=row.chat_id, kind=kind, action=row.action,
            announcement_id=row.announcement_id, message_ids=message_ids, revision=revision,
            notice=notice, due_at=due_at, counts_attempt=counts_attempt, reason=reason,
            new_external_id=new_external_id,
        )

    def _skip(self, row: Claimed) -> str | None:
        content = row.content
        if not row.chat_active:
            return "chat inactive"
        if content is None:
            return "content gone"
        if row.action in (DeliveryAction.SEND, DeliveryAction.EDIT) and (
            content.status == "retracted"
        ):
            return "retracted"
        if row.action == DeliveryAction.EDIT and row.revision < content.revision:
            return f"superseded by revision {content.revision}"
        if row.action in (DeliveryAction.EDIT, DeliveryAction.DELETE) and not row.copy_ids:
            return "no copy to change"
        return None

    async def _unless_stopping(self, waiting: Coroutine[Any, Any, _T]) -> _T | None:
        """Await `waiting`; None, having cancelled it, as soon as the engine stops."""
        signal = self._stop_signal
        if signal is None or signal.done():
            waiting.close()
            return None
        task = asyncio.ensure_future(waiting)
        try:
            await asyncio.wait((task, signal), return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        return None if task.cancelled() else task.result()

    def _give_back(self, row: Claimed) -> Outcome:
        """A row not started when the engine stops: free again at once, no attempt counted."""
        return self._retry_at(row, 0.0, counts_attempt=False)

    async def _carry_out(self, lane: _Lane, row: Claimed, claim_number: int) -> Outcome | None:
        if self._lost and row.id in self._lost:
            self._lost.discard(row.id)
            return None
        if self._stopping.is_set():
            return self._give_back(row)
        reason = self._skip(row)
        if reason is None and self._gone and self._is_gone(row.chat_id, claim_number):
            reason = "chat gone"
        if reason is not None:
            return self._outcome(row, OutcomeKind.SKIPPED, reason=reason)
        assert row.content is not None
        target = target_of(row)
        # Per-chat spacing runs on the engine's clock so that it agrees with due_at in the rows.
        stamp = self._clock.now().timestamp()
        if self._config.pace_chats:
            interval = chat_interval(lane.platform.limits, target.kind)
            wait = lane.pacer.reserve(row.chat_id, interval, stamp, self._config.max_inline_wait)
            if wait is None:
                later = lane.pacer.ready_in(row.chat_id, stamp)
                return self._retry_at(row, later, counts_attempt=False)
            if wait > 0:
                slept = await self._unless_stopping(asyncio.sleep(wait, True))
                if not slept or self._stopping.is_set():
                    return self._give_back(row)
        # A long global pause: hand the row back rather than sit on it past its lease.
        limiter = lane.limiter
        acquired = not limiter.free()
        if acquired:
            turn = await self._unless_stopping(
                limiter.acquire(give_up_after=self._config.lease_seconds / 4)
            )
            if turn is None:  # stopping while it waited for its turn: not sent, handed back
                return self._give_back(row)
            if not turn:
                return self._retry_at(row, lane.limiter.paused_for(), counts_attempt=False)
            if self._stopping.is_set():  # its turn came with the stop: not started either
                limiter.done()
                return self._give_back(row)
        if self._gone and self._is_gone(row.chat_id, claim_number):
            # Found gone while this row waited for its turn: no request to a gone chat.
            if acquired:
                limiter.done()
            return self._outcome(row, OutcomeKind.SKIPPED, reason="chat gone")
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._config.send_timeout):
                return await self._call(lane, row, target)
        except RetryLater as exc:
            self._metrics.rate_limited(lane.name)
            if exc.is_global:
                lane.limiter.pause(exc.seconds)
                if exc.seconds > self._config.lease_seconds / 4:
                    # A long global pause: let go of the queued rows before their leases run out.
                    self._release_queued(lane, exc.seconds)
            else:
                lane.pacer.hold(row.chat_id, exc.seconds, self._clock.now().timestamp())
            lane.limiter.slow()
            return self._retry_at(row, exc.seconds, counts_attempt=False)
        except TargetGone as exc:
            self._gone[row.chat_id] = (None, asyncio.get_running_loop().time())
            return self._outcome(row, OutcomeKind.CHAT_GONE, reason=str(exc) or "target gone")
        except TargetMoved as exc:
            lane.pacer.forget(row.chat_id)
            return self._outcome(
                row, OutcomeKind.CHAT_MOVED, new_external_id=exc.new_external_id
            )
        except PhotoRefused as exc:
            return self._without_photo(lane, row, exc)
        except BadMessage as exc:
            return self._outcome(row, OutcomeKind.DEAD, reason=f"bad message: {exc}")
        except (Transient, TimeoutError, OSError) as exc:
            return self._backoff(row, f"{type(exc).__name__}: {exc}")
        except DeliveryError as exc:
            return self._outcome(row, OutcomeKind.DEAD, reason=f"{type(exc).__name__}: {exc}")
        finally:
            self._metrics.send_latency(lane.name, row.action, time.perf_counter() - started)
            if acquired:
                limiter.done()

    async def _call(self, lane: _Lane, row: Claimed, target: Target) -> Outcome:
        assert row.content is not None
        platform = lane.platform
        if row.action == DeliveryAction.SEND:
            message = self._message(lane, row)
            ids = await platform.send(target, message, key=f"herald-{row.id}")
            return self._outcome(
                row, OutcomeKind.SENT, message_ids=tuple(ids), revision=row.content.revision
            )
        if row.action == DeliveryAction.EDIT:
            message = self._message(lane, row)
            ids = await platform.edit(target, list(row.copy_ids), message)
            return self._outcome(
                row, OutcomeKind.SENT, message_ids=tuple(ids), revision=row.content.revision
            )
        if row.action == DeliveryAction.DELETE:
            if self._too_old(platform, row):
                return await self._notice(platform, row, target)
            try:
                await platform.delete(target, list(row.copy_ids))
            except MessageTooOld:
                return await self._notice(platform, row, target)
            return self._outcome(row, OutcomeKind.SENT)
        return self._outcome(row, OutcomeKind.DEAD, reason=f"unknown action {row.action!r}")

    def _message(self, lane: _Lane, row: Claimed) -> OutboundMessage:
        content = row.content
        assert content is not None
        if (
            self._photo_refused
            and content.photo is not None
            and (lane.name, row.announcement_id) in self._photo_refused
        ):
            return self._photoless.get(row, content)
        return self._messages.get(row, content)

    def _without_photo(self, lane: _Lane, row: Claimed, exc: PhotoRefused) -> Outcome:
        """The platform refused the photo itself: the whole announcement goes without it."""
        aid = row.announcement_id
        if aid is None or row.content is None or row.content.photo is None:
            return self._outcome(row, OutcomeKind.DEAD, reason=f"bad message: {exc}")
        key = (lane.name, aid)
        if key not in self._photo_refused:
            self._photo_refused.add(key)
            log.warning(
                "%s refused the photo of announcement %d (%s); sending it without the photo",
                lane.name, aid, exc,
            )
            hook = self._config.photo_refused
            if hook is not None:
                task = asyncio.create_task(self._tell(hook(aid, lane.name, str(exc))))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        # Again at once, as text with a note: not an attempt that failed.
        return self._retry_at(row, 0.0, counts_attempt=False)

    @staticmethod
    async def _tell(notice: Awaitable[None]) -> None:
        try:
            await notice
        except Exception:
            log.exception("telling the admins about a refused photo failed")

    def _too_old(self, platform: Platform, row: Claimed) -> bool:
        window = platform.limits.delete_window_seconds
        if window is None or row.copy_sent_at is None:
            return False
        age = (self._clock.now() - row.copy_sent_at).total_seconds()
        return age >= window - self._config.delete_window_margin

    async def _notice(self, platform: Platform, row: Claimed, target: Target) -> Outcome:
        config = self._config
        notice: OutboundMessage = retraction(row, config.retraction_text, config.language)
        ids = await platform.edit(target, list(row.copy_ids), notice)
        return self._outcome(row, OutcomeKind.SENT, message_ids=tuple(ids), notice=True)

    def _retry_at(self, row: Claimed, seconds: float, *, counts_attempt: bool) -> Outcome:
        due = self._clock.now() + timedelta(seconds=max(0.0, seconds))
        return self._outcome(row, OutcomeKind.RETRY, due_at=due, counts_attempt=counts_attempt)

    def _backoff(self, row: Claimed, reason: str) -> Outcome:
        config = self._config
        if row.attempts >= config.max_attempts:
            return self._outcome(
                row, OutcomeKind.DEAD, reason=f"gave up after {row.attempts} attempts: {reason}"
            )
        delay = min(config.backoff_cap, config.backoff_base * 2 ** (row.attempts - 1))
        delay *= _jitter.uniform(0.5, 1.0)
        due = self._clock.now() + timedelta(seconds=delay)
        return self._outcome(row, OutcomeKind.RETRY, due_at=due, reason=reason)
