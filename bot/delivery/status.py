"""Delivery progress and dead letters, for /stats, `herald status` and `herald deliveries`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.ports import Clock
from storage import outbox
from storage.outbox import Counts, DeadRow


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
    sessions: async_sessionmaker[AsyncSession],
    announcement_id: int | None = None,
    *,
    action: str | None = "send",
) -> DeliveryStatus:
    """Progress of one announcement's sends (or of every row when `announcement_id` is None)."""
    async with sessions() as session:
        counts = await outbox.stats(session, announcement_id=announcement_id, action=action)
    return DeliveryStatus(announcement_id, counts)


async def dead_letters(
    sessions: async_sessionmaker[AsyncSession], *, limit: int = 100
) -> list[DeadRow]:
    """The newest dead-lettered deliveries."""
    async with sessions() as session:
        return await outbox.dead_rows(session, limit=limit)


async def retry_dead_letters(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, ids: list[int] | None = None
) -> int:
    """Queue dead rows again (these ids, or all); return how many."""
    async with sessions.begin() as session:
        return await outbox.retry_dead(session, now=clock.now(), ids=ids)


__all__ = [
    "Counts", "DeadRow", "DeliveryStatus", "dead_letters", "delivery_status", "retry_dead_letters",
]
