"""The delivery engine's results writer: outcomes collected and written in batches."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from bot.ports import Clock
from bot.ports.outbox import Outcome, OutcomeKind, UnitOfWork

if TYPE_CHECKING:
    from bot.delivery.config import DeliveryConfig

log = logging.getLogger(__name__)


class Writer:
    """Collects outcomes and writes them in batches, one transaction per batch."""

    def __init__(
        self,
        units: UnitOfWork,
        clock: Clock,
        config: DeliveryConfig,
        recorded: Callable[[Sequence[Outcome]], None] | None = None,
    ) -> None:
        self._units = units
        self._clock = clock
        self._config = config
        self._recorded = recorded
        self._pending: list[Outcome] = []
        self._writing_now = 0  # outcomes taken by a flush and not yet committed
        self._kick = asyncio.Event()
        self._lock = asyncio.Lock()

    async def close(self) -> None:
        """Give back the connection the batches were written on."""
        await self._units.close()

    def __len__(self) -> int:
        # A batch being written counts: until it commits, the rows it puts back (retries,
        # moved chats) are not claimable, so "nothing unwritten" must not be true yet.
        return len(self._pending) + self._writing_now

    def kick(self) -> None:
        """Write now rather than at the next interval."""
        self._kick.set()

    def add(self, outcome: Outcome) -> None:
        self._pending.append(outcome)
        if len(self._pending) >= self._config.flush_size:
            self._kick.set()

    async def run(self, stopping: asyncio.Event, on_flush: Callable[[], None]) -> None:
        while not stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kick.wait(), self._config.flush_interval)
            self._kick.clear()
            if await self.flush():
                on_flush()

    async def flush(self) -> bool:
        """Write what is pending; True when something other than a plain send was written."""
        async with self._lock:
            batch, self._pending = self._pending, []
            if not batch:
                return False
            self._writing_now = len(batch)
            try:
                async with self._units.begin() as work:
                    await work.record(batch, self._clock.now())
            except Exception:
                # Put them back; if the database stays away, the leases expire and rows resend.
                log.exception("recording %d delivery results failed; will retry", len(batch))
                self._pending[:0] = batch
                self._writing_now = 0
                await asyncio.sleep(0.5)
                return False
            finally:
                self._writing_now = 0
            if self._recorded is not None:
                self._recorded(batch)
            return any(o.kind != OutcomeKind.SENT for o in batch)
