"""HeldSessions: one kept connection, given back after a failure and on close."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import QueuePool

from storage.outbox.held import HeldSessions


async def _driver(session: AsyncSession) -> object:
    connection = await session.connection()
    return (await connection.get_raw_connection()).driver_connection


def _out(engine: AsyncEngine) -> int:
    pool = engine.pool
    assert isinstance(pool, QueuePool)  # SQLite's and PostgreSQL's async pools both are
    return pool.checkedout()


async def _fail(held: HeldSessions) -> None:
    async with held.begin() as session:
        await session.execute(text("SELECT 1"))
        raise RuntimeError("boom")


async def test_units_share_a_connection_until_one_fails(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    held = HeldSessions(sessions)
    async with held.begin() as session:
        first = await _driver(session)
    assert _out(engine) == 1  # kept between units
    async with held.begin() as session:
        assert await _driver(session) is first
    with pytest.raises(RuntimeError):
        await _fail(held)
    assert _out(engine) == 0  # a failed unit gives its connection back
    async with held.begin() as session:
        assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
    await held.close()
    await held.close()  # twice is fine
    assert _out(engine) == 0
