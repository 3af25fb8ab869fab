"""/readyz's process check: 503 while `herald run` is still starting, and once it stops."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.ports import ManualClock
from bot.readiness import Backlog, Readiness


class AnsweringProbe:
    """A database that answers and has nothing waiting."""

    async def ping(self) -> None:
        """Answer."""

    async def backlog(self, now: datetime) -> list[Backlog]:
        """Nothing pending."""
        return []

    async def scheduler_leader(self) -> str | None:
        """No leadership lock (SQLite)."""
        return None


async def test_ready_only_once_started_and_not_while_stopping() -> None:
    state = {"started": False, "stopping": False}
    readiness = Readiness(
        AnsweringProbe(),
        ManualClock(datetime(2026, 12, 5, tzinfo=UTC)),
        platforms=list,
        scheduler=None,
        max_due_age=timedelta(minutes=5),
        started=lambda: state["started"],
        stopping=lambda: state["stopping"],
    )
    starting = await readiness.check()
    assert not starting.ready
    failed = {c.name: c.detail for c in starting.checks if not c.ok}
    assert failed == {"process": {"state": "starting"}}
    state["started"] = True
    assert (await readiness.check()).ready
    state["stopping"] = True
    stopping = await readiness.check()
    assert {c.name: c.detail for c in stopping.checks if not c.ok} == {
        "process": {"state": "stopping"}
    }
