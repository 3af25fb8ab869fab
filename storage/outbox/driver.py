"""SQLite's hot path: the claim and the sent results as one driver call per statement.

Through SQLAlchemy's aiosqlite adapter a statement is four trips to the driver's thread
(cursor, execute, fetch, close), and each trip waits its turn in the event loop. While a
broadcast keeps the loop busy with a hundred sends, a trip costs milliseconds, and a
claim or a result batch (which on SQLite hold the one write lock) took 100-500 ms.
Here each statement is one trip, in the session's own transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

import aiosqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.types import UTCDateTime

_TIME = UTCDateTime()


async def sqlite_driver(session: AsyncSession) -> aiosqlite.Connection | None:
    """The aiosqlite connection under the session's transaction; None on other databases."""
    if session.get_bind().dialect.name != "sqlite":
        return None
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    return driver if isinstance(driver, aiosqlite.Connection) else None


def stored_time(session: AsyncSession, when: datetime) -> Any:
    """`when` as SQLAlchemy stores it on this database (SQLite: naive UTC text)."""
    dialect = session.get_bind().dialect
    process = _TIME.dialect_impl(dialect).bind_processor(dialect)
    return process(when) if process else when


def time_reader(session: AsyncSession) -> Callable[[Any], datetime | None]:
    """Turns a stored time back into an aware UTC datetime, as SQLAlchemy would."""
    dialect = session.get_bind().dialect
    process = _TIME.dialect_impl(dialect).result_processor(dialect, None)
    return cast(Callable[[Any], datetime | None], process or (lambda value: value))
