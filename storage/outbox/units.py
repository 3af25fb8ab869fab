"""The outbox behind bot.ports.outbox: units of work on kept connections, and the reports."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Collection, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.delivery.identity import OwnerIdentity
from bot.ports.outbox import Claimed, Counts, DeadRow, OutboxWork, Outcome
from storage import outbox
from storage.engine import read_sessions
from storage.outbox.claim import claim, count_claimable
from storage.outbox.contents import ContentCache
from storage.outbox.held import HeldSessions
from storage.outbox.progress import dead_rows, retry_dead, stats


class _Work:
    """One transaction on the outbox (bot.ports.outbox.OutboxWork)."""

    __slots__ = ("_contents", "_session")

    def __init__(self, session: AsyncSession, contents: ContentCache) -> None:
        self._session = session
        self._contents = contents

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
        return await claim(
            self._session, platforms=platforms, owner=owner, now=now,
            lease_seconds=lease_seconds, limit=limit, contents=self._contents,
        )

    async def record(self, outcomes: Sequence[Outcome], now: datetime) -> None:
        """Write the outcomes of a batch of rows in this transaction."""
        # Looked up on the package at each call, as the engine did: tests make it fail there.
        await outbox.record(self._session, outcomes, now)

    async def register(self, owner: OwnerIdentity, now: datetime) -> None:
        """Record this owner (before its first claim), so others can check whether it lives."""
        await outbox.register(self._session, owner, now)

    async def renew(
        self, owner: OwnerIdentity, ids: Collection[int], *, now: datetime, lease_seconds: float
    ) -> set[int]:
        """Extend the leases of `ids` this owner still holds; return those ids."""
        return await outbox.renew(
            self._session, owner, ids, now=now, lease_seconds=lease_seconds
        )

    async def take_over(self, here: OwnerIdentity, now: datetime, lease_seconds: float) -> int:
        """Free the rows of owners provably dead, forget long-silent owners; rows freed."""
        return await outbox.take_over(self._session, here, now, lease_seconds)

    async def release(self, owner: str, now: datetime) -> int:
        """Hand back every row this owner still leases and forget the owner; rows freed."""
        return await outbox.release(self._session, owner, now)


class _Units:
    """bot.ports.outbox.UnitOfWork over one kept connection, taking turns where it must."""

    def __init__(
        self,
        held: HeldSessions,
        writing: contextlib.AbstractAsyncContextManager[object],
        contents: ContentCache,
    ) -> None:
        self._held = held
        self._writing = writing
        self._contents = contents

    @contextlib.asynccontextmanager
    async def begin(self) -> AsyncIterator[OutboxWork]:
        """A transaction on the kept connection, committed when the block ends well."""
        async with self._writing, self._held.begin() as session:
            yield _Work(session, self._contents)

    async def close(self) -> None:
        """Give the kept connection back."""
        await self._held.close()


class SqlOutbox:
    """bot.ports.outbox.Outbox over a session factory: one per delivery engine."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        # On SQLite this engine's claims and result batches take turns: two of our own write
        # transactions would otherwise meet SQLite's busy handler, which sleeps in steps.
        # PostgreSQL claims skip locked rows, so there a claim and a batch overlap.
        bind = sessions.kw.get("bind")
        serial = bind is None or bind.dialect.name == "sqlite"
        self._writing: contextlib.AbstractAsyncContextManager[object] = (
            asyncio.Lock() if serial else contextlib.nullcontext()
        )
        # A claim is one statement, atomic on its own: on PostgreSQL it runs in autocommit,
        # one round trip instead of three (BEGIN, UPDATE, COMMIT) while the senders wait.
        self._claims = read_sessions(sessions)
        # Announcement texts, tags and photos, read once per revision rather than once per row.
        self._contents = ContentCache()

    @classmethod
    def for_engine(cls, engine: AsyncEngine) -> SqlOutbox:
        """An outbox over `engine`."""
        return cls(async_sessionmaker(engine, expire_on_commit=False))

    @contextlib.asynccontextmanager
    async def begin(self) -> AsyncIterator[OutboxWork]:
        """One transaction on a pooled connection, taking turns with claims and results."""
        async with self._writing, self._sessions.begin() as session:
            yield _Work(session, self._contents)

    def claims(self) -> _Units:
        """Units for one claim loop, on a connection it keeps (lanes claim concurrently)."""
        return _Units(HeldSessions(self._claims), self._writing, self._contents)

    def results(self) -> _Units:
        """Units for the results writer, on a connection it keeps."""
        return _Units(HeldSessions(self._sessions), self._writing, self._contents)

    async def count_claimable(self, *, platforms: Collection[str], now: datetime) -> int:
        """How many rows for `platforms` a worker could claim right now."""
        async with self._sessions() as session:
            return await count_claimable(session, platforms=platforms, now=now)

    async def counts(
        self, *, announcement_id: int | None = None, action: str | None = "send"
    ) -> dict[str, Counts]:
        """Counts per platform for one announcement (or every row), for one action (or all)."""
        async with self._sessions() as session:
            return await stats(session, announcement_id=announcement_id, action=action)

    async def dead_rows(self, *, limit: int = 100) -> list[DeadRow]:
        """The newest dead-lettered rows."""
        async with self._sessions() as session:
            return await dead_rows(session, limit=limit)

    async def retry_dead(self, *, now: datetime, ids: Sequence[int] | None = None) -> int:
        """Put dead rows (these ids, or all when None) back in the queue; how many."""
        async with self._sessions.begin() as session:
            return await retry_dead(session, now=now, ids=ids)
