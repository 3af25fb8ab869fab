"""Is this process ready to do its work? The checks behind /readyz and the outbox gauges."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol, runtime_checkable

from bot.ports import Clock

log = logging.getLogger(__name__)


class Connection(StrEnum):
    """Where a platform connection stands."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    TOKEN_REJECTED = "token_rejected"  # noqa: S105 (a state, not a secret)


@runtime_checkable
class Connected(Protocol):
    """A platform adapter that can say whether it is connected and its token accepted."""

    @property
    def name(self) -> str:
        """The platform's name."""
        ...

    def connection(self) -> Connection:
        """Connecting, connected, or refused for good because the token was rejected."""
        ...


@runtime_checkable
class Receiving(Protocol):
    """An adapter that can stop taking updates while it still sends (a graceful stop)."""

    async def stop_receiving(self) -> None:
        """Stop polling or serving the webhook; sending, editing and deleting still work."""
        ...


@dataclass(frozen=True, slots=True)
class Backlog:
    """One platform's waiting deliveries: how many, and since when the oldest due one waits."""

    platform: str
    pending: int
    oldest_due_at: datetime | None


class OpsProbe(Protocol):
    """What readiness and metrics ask of the database (implemented in storage/)."""

    async def ping(self) -> None:
        """Run a trivial query; raise if the database does not answer."""
        ...

    async def backlog(self, now: datetime) -> list[Backlog]:
        """Pending deliveries per platform and the oldest one already due."""
        ...

    async def scheduler_leader(self) -> str | None:
        """Which database session holds the scheduler's leadership lock (PostgreSQL), if any."""
        ...


class SchedulerView(Protocol):
    """What readiness reads from the scheduler."""

    @property
    def running(self) -> bool:
        """Whether its jobs run."""
        ...

    @property
    def leading(self) -> bool:
        """Whether this process fires anniversaries."""
        ...


@dataclass(frozen=True, slots=True)
class Check:
    """One readiness check: passed or not, and what it saw."""

    name: str
    ok: bool
    detail: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Report:
    """Every check; ready when all passed."""

    checks: tuple[Check, ...]

    @property
    def ready(self) -> bool:
        """True when every check passed."""
        return all(check.ok for check in self.checks)

    def as_json(self) -> dict[str, object]:
        """{"ready": bool, "checks": {name: {"ok": bool, ...detail}}}."""
        return {
            "ready": self.ready,
            "checks": {c.name: {"ok": c.ok, **c.detail} for c in self.checks},
        }


class Readiness:
    """Runs the checks: database, platforms, scheduler, the oldest due delivery."""

    def __init__(
        self,
        probe: OpsProbe,
        clock: Clock,
        *,
        platforms: Callable[[], Sequence[Connected]],
        scheduler: SchedulerView | None,
        max_due_age: timedelta,
        timeout: float = 2.0,
        stopping: Callable[[], bool] = lambda: False,
        started: Callable[[], bool] = lambda: True,
    ) -> None:
        self._probe = probe
        self._clock = clock
        self._platforms = platforms
        self._scheduler = scheduler
        self._max_due_age = max_due_age
        self._timeout = timeout
        self._stopping = stopping
        self._started = started

    async def check(self) -> Report:
        """Run every check, each bounded by the timeout."""
        checks = [await self._database(), *self._connections()]
        if self._scheduler is not None:
            checks.append(await self._scheduler_check(self._scheduler))
        checks.append(await self._queue())
        if self._stopping():
            checks.append(Check("process", False, {"state": "stopping"}))
        elif not self._started():
            # The server answers before the platforms, delivery and scheduler are all up.
            checks.append(Check("process", False, {"state": "starting"}))
        return Report(tuple(checks))

    async def _database(self) -> Check:
        try:
            async with asyncio.timeout(self._timeout):
                await self._probe.ping()
        except TimeoutError:
            return Check("database", False, {"error": f"no answer within {self._timeout:g} s"})
        except Exception as exc:
            return Check("database", False, {"error": _reason(exc)})
        return Check("database", True)

    def _connections(self) -> list[Check]:
        checks = []
        for platform in self._platforms():
            state = platform.connection()
            checks.append(
                Check(platform.name, state is Connection.CONNECTED, {"state": state.value})
            )
        return checks

    async def _scheduler_check(self, scheduler: SchedulerView) -> Check:
        detail: dict[str, object] = {"running": scheduler.running, "leading": scheduler.leading}
        try:
            async with asyncio.timeout(self._timeout):
                detail["leader"] = await self._probe.scheduler_leader()
        except Exception as exc:
            detail["leader_error"] = _reason(exc)
        return Check("scheduler", scheduler.running, detail)

    async def _queue(self) -> Check:
        now = self._clock.now()
        try:
            async with asyncio.timeout(self._timeout):
                backlog = await self._probe.backlog(now)
        except Exception as exc:
            return Check("deliveries", False, {"error": _reason(exc) or "no answer"})
        due = [b.oldest_due_at for b in backlog if b.oldest_due_at is not None]
        age = max(0.0, (now - min(due)).total_seconds()) if due else 0.0
        limit = self._max_due_age.total_seconds()
        detail: dict[str, object] = {
            "pending": sum(b.pending for b in backlog),
            "oldest_due_age_seconds": round(age, 1),
            "max_age_seconds": limit,
        }
        return Check("deliveries", age <= limit, detail)


def _reason(exc: BaseException) -> str:
    """One line about an error, without the SQL or a traceback."""
    cause = getattr(exc, "orig", None) or exc
    text = " ".join(str(cause).split())[:200]
    return text or type(cause).__name__
