"""Units of work over one connection kept open, for the engine's claim and results loops."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

log = logging.getLogger(__name__)


class HeldSessions:
    """Transactions on one kept connection: no pool checkout and check-in around each.

    A checkout from the PostgreSQL pool pings the server (pool_pre_ping) and a check-in
    rolls back: for a claim in autocommit that was two round trips of three, and on SQLite
    one more trip to the driver's thread. A unit that fails drops the connection (it may
    be broken); the next unit opens a fresh one, pinged on the way.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        bind = sessions.kw.get("bind")
        self._engine = bind if isinstance(bind, AsyncEngine) else None
        self._connection: AsyncConnection | None = None

    @contextlib.asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction on the kept connection, committed on success."""
        if self._engine is None:
            async with self._sessions.begin() as session:
                yield session
            return
        if self._connection is None:
            self._connection = await self._engine.connect()
        try:
            async with self._sessions(bind=self._connection) as session, session.begin():
                yield session
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Give the connection back (at stop, or after a failure)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await connection.close()
            except Exception:  # already broken: nothing left to give back
                log.debug("closing a delivery connection failed", exc_info=True)
