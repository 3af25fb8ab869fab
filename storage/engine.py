"""Database engines: URL handling and per-connection settings (the default file: bot.paths)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event, literal_column, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

# What a database that went away raises: the scheduler logs these and retries on its next sweep.
DATABASE_ERRORS: tuple[type[Exception], ...] = (SQLAlchemyError, OSError)


def _backend(parsed: URL) -> str:
    backend = parsed.get_backend_name()
    # `postgres://` is what many hosts hand out; SQLAlchemy dropped that alias.
    return "postgresql" if backend == "postgres" else backend


def async_url(url: str) -> URL:
    """The URL with an async driver (`sqlite` → aiosqlite, `postgresql` → psycopg)."""
    parsed = make_url(url)
    backend = _backend(parsed)
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite")
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    raise ValueError(f"unsupported database {backend!r}: use sqlite or postgresql")


def sync_url(url: str) -> URL:
    """The URL with a synchronous driver, for Alembic."""
    parsed = make_url(url)
    backend = _backend(parsed)
    if backend == "sqlite":
        return parsed.set(drivername="sqlite")
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    raise ValueError(f"unsupported database {backend!r}: use sqlite or postgresql")


def safe_url(url: str | URL) -> str:
    """The URL for messages and logs, password hidden."""
    return (make_url(url) if isinstance(url, str) else url).render_as_string(hide_password=True)


def _ensure_sqlite_dir(url: URL) -> None:
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL for readers beside one writer, a busy timeout instead of 'database is locked'."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    """An async engine for `url`, with SQLite tuned for several tasks and processes."""
    parsed = async_url(url)
    if parsed.get_backend_name() == "sqlite":
        _ensure_sqlite_dir(parsed)
        engine = create_async_engine(parsed, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", sqlite_pragmas)
        return engine
    return create_async_engine(
        parsed, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
    )


async def write_lock(session: AsyncSession) -> None:
    """Make the unit of work a writer from its first statement, so what it reads stays true."""
    # The sqlite3 driver runs SELECTs outside any transaction and only BEGINs before a write,
    # so read-check-write would race another process; a no-op UPDATE takes the write lock
    # (waiting out busy_timeout) before anything is read. PostgreSQL uses FOR UPDATE instead.
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(text("UPDATE kv_state SET value = value WHERE 0"))


def dialect_insert(
    session: AsyncSession, model: type[DeclarativeBase]
) -> postgresql.Insert | sqlite.Insert:
    """An INSERT for the session's database, with its ON CONFLICT clauses available."""
    if session.get_bind().dialect.name == "sqlite":
        return sqlite.insert(model)
    return postgresql.insert(model)


async def insert_new(
    session: AsyncSession, model: type[DeclarativeBase], values: dict[str, Any], unique: list[str]
) -> bool:
    """Insert a row unless one with the same `unique` columns exists; True when inserted."""
    # A check-then-insert would race another process into a unique violation.
    query = (
        dialect_insert(session, model).values(values).on_conflict_do_nothing(index_elements=unique)
    )
    # RETURNING, not rowcount: an ORM-enabled INSERT does not report psycopg's rowcount.
    return await session.scalar(query.returning(literal_column("1"))) is not None


def read_sessions(sessions: async_sessionmaker[AsyncSession]) -> async_sessionmaker[AsyncSession]:
    """Sessions for reads: on PostgreSQL in autocommit, saving the BEGIN and ROLLBACK trips."""
    # A read that runs several statements may see a commit land between them; the pages and
    # counts Herald shows tolerate that. SQLite never wraps reads in a transaction anyway.
    bind = sessions.kw.get("bind")
    if not isinstance(bind, AsyncEngine) or bind.dialect.name == "sqlite":
        return sessions
    options = {key: value for key, value in sessions.kw.items() if key != "bind"}
    return async_sessionmaker(bind.execution_options(isolation_level="AUTOCOMMIT"), **options)
