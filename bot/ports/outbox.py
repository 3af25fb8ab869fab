"""The outbox seam: what a claimed row carries, what became of it, and the units of work.

The delivery engine claims due rows and records outcomes through these; `storage/outbox`
implements them (with every dialect's fast path) and the composition root wires it in.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from bot.delivery.identity import OwnerIdentity
from bot.domain import DeliveryAction
from bot.formatting import Photo


class OutcomeKind(StrEnum):
    """What became of a claimed row."""

    SENT = "sent"
    RETRY = "retry"
    DEAD = "dead"
    SKIPPED = "skipped"
    CHAT_GONE = "chat_gone"
    CHAT_MOVED = "chat_moved"


@dataclass(frozen=True, slots=True)
class Content:
    """What a claimed row shows: an announcement's current text or an anniversary firing's."""

    title: str
    body: str
    kind: str  # "announcement", or the occurrence kind ("day", "before:7", ...)
    status: str | None = None
    revision: int = 1
    tags: tuple[str, ...] = ()
    signature: str | None = None
    category: str | None = None
    published_at: datetime | None = None
    # The body's style runs as stored (bot.formatting JSON); None for plain text.
    body_styles: str | None = None
    # The announcement's photo (read once per announcement, see ContentCache).
    photo: Photo | None = None
    # An anniversary firing's (title, body) by language; title/body above are the society's.
    translations: Mapping[str, tuple[str, str]] | None = None


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery row leased to this worker, with everything needed to carry it out."""

    id: int
    chat_id: int
    platform: str
    external_id: str
    chat_kind: str
    chat_language: str | None
    chat_active: bool
    action: DeliveryAction
    revision: int
    attempts: int
    announcement_id: int | None
    occurrence_id: int | None
    content: Content | None
    copy_ids: tuple[str, ...] = ()
    copy_sent_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one claimed row; `record` writes a batch of these in one transaction."""

    delivery_id: int
    chat_id: int
    kind: OutcomeKind
    action: DeliveryAction = DeliveryAction.SEND
    announcement_id: int | None = None
    message_ids: tuple[str, ...] = ()
    # The announcement revision the sent or edited copy shows.
    revision: int = 0
    # For deletes done as an edit into a retraction notice: the copy stays, with these ids.
    notice: bool = False
    due_at: datetime | None = None
    counts_attempt: bool = True
    reason: str | None = None
    new_external_id: str | None = None


@dataclass(frozen=True, slots=True)
class Counts:
    """Delivery rows of one platform by state; `failed` are pending rows retrying after errors."""

    sent: int = 0
    pending: int = 0
    failed: int = 0
    dead: int = 0
    skipped: int = 0

    @property
    def total(self) -> int:
        """Every row."""
        return self.sent + self.pending + self.failed + self.dead + self.skipped

    @property
    def open(self) -> int:
        """Rows still to be carried out."""
        return self.pending + self.failed

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.sent + other.sent, self.pending + other.pending, self.failed + other.failed,
            self.dead + other.dead, self.skipped + other.skipped,
        )


@dataclass(frozen=True, slots=True)
class DeadRow:
    """A dead-lettered delivery, for listing and retrying."""

    id: int
    platform: str
    external_id: str
    action: str
    announcement_id: int | None
    occurrence_id: int | None
    attempts: int
    error: str | None
    updated_at: datetime


class OutboxWork(Protocol):
    """One unit of work on the outbox: a transaction, committed when its block ends well."""

    async def claim(
        self,
        *,
        platforms: Collection[str],
        owner: str,
        now: datetime,
        lease_seconds: float,
        limit: int,
    ) -> list[Claimed]:
        """Lease up to `limit` due rows for `platforms` and return them with what they show."""
        ...

    async def record(self, outcomes: Sequence[Outcome], now: datetime) -> None:
        """Write the outcomes of a batch of rows (sent, retry, dead, skipped, chat changes)."""
        ...

    async def register(self, owner: OwnerIdentity, now: datetime) -> None:
        """Record this owner (before its first claim), so others can check whether it lives."""
        ...

    async def renew(
        self, owner: OwnerIdentity, ids: Collection[int], *, now: datetime, lease_seconds: float
    ) -> set[int]:
        """Extend the leases of `ids` this owner still holds; return those ids."""
        ...

    async def take_over(self, here: OwnerIdentity, now: datetime, lease_seconds: float) -> int:
        """Free the rows of owners provably dead (claimable a second later), forget long-silent
        owners; rows freed."""
        ...

    async def release(self, owner: str, now: datetime) -> int:
        """Hand back every row this owner still leases and forget the owner; rows freed."""
        ...


class UnitOfWork(Protocol):
    """Units of work on one kept connection (a claim loop's, the results writer's).

    A unit that fails gives the connection up; the next one opens a fresh one.
    """

    def begin(self) -> AbstractAsyncContextManager[OutboxWork]:
        """A unit of work: claims or records inside commit together when the block ends."""
        ...

    async def close(self) -> None:
        """Give the kept connection back (at stop)."""
        ...


class DeliveryReports(Protocol):
    """Progress and dead letters, for /stats, `herald status` and `herald deliveries`."""

    async def counts(
        self, *, announcement_id: int | None = None, action: str | None = "send"
    ) -> dict[str, Counts]:
        """Counts per platform for one announcement (or every row), for one action (or all)."""
        ...

    async def dead_rows(self, *, limit: int = 100) -> list[DeadRow]:
        """The newest dead-lettered rows."""
        ...

    async def retry_dead(self, *, now: datetime, ids: Sequence[int] | None = None) -> int:
        """Put dead rows (these ids, or all when None) back in the queue; how many."""
        ...


class Outbox(DeliveryReports, Protocol):
    """What the delivery engine needs from storage."""

    def begin(self) -> AbstractAsyncContextManager[OutboxWork]:
        """One unit of work on a pooled connection (the owners' heartbeat, takeover, release)."""
        ...

    def claims(self) -> UnitOfWork:
        """Units of work for one claim loop, each claim one statement on a kept connection."""
        ...

    def results(self) -> UnitOfWork:
        """Units of work for the results writer, on a kept connection of its own."""
        ...

    async def count_claimable(self, *, platforms: Collection[str], now: datetime) -> int:
        """How many rows for `platforms` a worker could claim right now."""
        ...
