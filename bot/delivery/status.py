"""Delivery progress and dead letters, for /stats, `herald status` and `herald deliveries`."""

from __future__ import annotations

from dataclasses import dataclass

from bot.ports import Clock
from bot.ports.outbox import Counts, DeadRow, DeliveryReports


@dataclass(frozen=True, slots=True)
class DeliveryStatus:
    """Sent, pending, failed, dead and skipped rows per platform."""

    announcement_id: int | None
    platforms: dict[str, Counts]

    @property
    def total(self) -> Counts:
        """All platforms together."""
        total = Counts()
        for counts in self.platforms.values():
            total = total + counts
        return total

    @property
    def finished(self) -> bool:
        """True when nothing is left to send."""
        return self.total.open == 0


async def delivery_status(
    reports: DeliveryReports,
    announcement_id: int | None = None,
    *,
    action: str | None = "send",
) -> DeliveryStatus:
    """Progress of one announcement's sends (or of every row when `announcement_id` is None)."""
    counts = await reports.counts(announcement_id=announcement_id, action=action)
    return DeliveryStatus(announcement_id, counts)


async def dead_letters(reports: DeliveryReports, *, limit: int = 100) -> list[DeadRow]:
    """The newest dead-lettered deliveries."""
    return await reports.dead_rows(limit=limit)


async def retry_dead_letters(
    reports: DeliveryReports, clock: Clock, ids: list[int] | None = None
) -> int:
    """Queue dead rows again (these ids, or all); return how many."""
    return await reports.retry_dead(now=clock.now(), ids=ids)


__all__ = [
    "Counts", "DeadRow", "DeliveryStatus", "dead_letters", "delivery_status", "retry_dead_letters",
]
