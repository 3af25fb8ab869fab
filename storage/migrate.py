"""Schema migrations through Alembic, run programmatically (no alembic.ini needed)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# PostgreSQL advisory lock key held while migrating ("herald-migrate" in ASCII, as an int64).
MIGRATION_LOCK = 0x6865_7261_6C64_6D67


class SchemaBehind(RuntimeError):
    """The database's schema is older than the code."""


class SchemaUnknown(SchemaBehind):
    """The database's schema is at a revision the code does not know (a newer Herald's)."""


def alembic_config() -> Config:
    """An Alembic config pointing at Herald's migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """The newest migration the code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def known_revisions() -> set[str]:
    """Every migration the code knows."""
    return {
        script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()
    }


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _upgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    async with engine.connect() as conn:
        return await conn.run_sync(_current)


async def upgrade(engine: AsyncEngine) -> str | None:
    """Bring the database to the newest schema; the revision it was at before (None: empty)."""
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Concurrent upgrades queue here until the first commits; the next one then finds
            # the schema at head and does nothing (without the lock both create the same
            # tables and the loser fails on a duplicate key). Released at commit or rollback.
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        before = await conn.run_sync(_current)
        await conn.run_sync(_upgrade)
    return before


async def ensure_schema(engine: AsyncEngine, *, auto_upgrade: bool) -> None:
    """Migrate when allowed (SQLite default); otherwise refuse a database behind the code."""
    current = await current_revision(engine)
    if current == head_revision():
        return
    if current is not None and current not in known_revisions():
        raise SchemaUnknown(
            f"the database schema is at {current}, which this Herald does not know "
            f"(it needs {head_revision()}): the database was migrated by a newer Herald; "
            "upgrade Herald, or point HERALD_DATABASE_URL at another database"
        )
    if auto_upgrade:
        try:
            await upgrade(engine)
        except DBAPIError:
            # Two processes starting on one fresh SQLite file both try to migrate; the one
            # that loses waits for the winner to finish, which is all it needed.
            for _ in range(60):
                if await current_revision(engine) == head_revision():
                    return
                await asyncio.sleep(0.5)
            raise
        return
    raise SchemaBehind(
        f"the database schema is at {current or 'nothing'}, the code needs {head_revision()}: "
        "run `herald db upgrade`"
    )
