"""The scheduler's leadership lock: a PostgreSQL session advisory lock on a dedicated connection.

On SQLite only processes on one machine share the file, and the unique occurrence rows keep
firings single anyway: every process leads. On PostgreSQL one replica holds the lock; the
others retry and take over when the holder's connection dies.
"""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

# pg_try_advisory_lock key shared by every replica: the bytes of "HERALD".
LOCK_KEY = 0x48_45_52_41_4C_44


class AdvisoryLock:
    """bot.ports.stores.LeadershipLock over `engine`; uncontested on SQLite."""

    def __init__(self, engine: AsyncEngine, key: int = LOCK_KEY) -> None:
        self._engine = engine
        self._key = key
        self._conn: AsyncConnection | None = None

    @property
    def contested(self) -> bool:
        """Whether replicas compete for the lock (PostgreSQL)."""
        return self._engine.dialect.name == "postgresql"

    @property
    def held(self) -> bool:
        """Whether this replica holds the lock's connection."""
        return self._conn is not None

    async def check(self) -> bool:
        """Whether the lock's connection is alive (a lost one is then released)."""
        if self._conn is None:
            return False
        try:
            await self._conn.execute(text("SELECT 1"))
            return True
        except (SQLAlchemyError, OSError) as exc:
            log.warning("scheduler lock connection lost, no longer leading: %s", exc)
            return False

    async def acquire(self) -> bool:
        """Take the lock on a connection of its own, unless another replica holds it."""
        try:
            conn = await self._engine.connect()
        except (SQLAlchemyError, OSError) as exc:
            log.warning("scheduler cannot reach the database to lead: %s", exc)
            return False
        try:
            # Autocommit: the lock belongs to the session, not to a transaction left open.
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            got = await conn.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}
            )
        except (SQLAlchemyError, OSError) as exc:
            log.warning("scheduler lock attempt failed: %s", exc)
            await conn.invalidate()
            await conn.close()
            return False
        if not got:
            await conn.close()
            return False
        await self._keepalive(conn)
        self._conn = conn
        log.info("scheduler: this replica leads (advisory lock %d)", self._key)
        return True

    async def _keepalive(self, conn: AsyncConnection) -> None:
        # If this host vanishes without closing the socket, the server notices within ~30 s
        # and frees the lock, instead of waiting for the kernel's two-hour default.
        try:
            for name, value in (("idle", 10), ("interval", 5), ("count", 3)):
                await conn.execute(text(f"SET tcp_keepalives_{name} = {value}"))
        except SQLAlchemyError as exc:
            log.debug("could not set keepalives on the lock connection: %s", exc)

    async def release(self) -> None:
        """Unlock and close the lock's connection."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        # Unlock first: the server ends a closed session's locks only a moment later, and a
        # replica asking in that moment would wait a whole retry. Then close the real
        # connection (a pooled one handed back could keep the lock).
        try:
            await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self._key})
        except (SQLAlchemyError, OSError) as exc:
            log.debug("unlocking: %s", exc)
        try:
            await conn.invalidate()
            await conn.close()
        except (SQLAlchemyError, OSError) as exc:
            log.debug("closing the lock connection: %s", exc)
