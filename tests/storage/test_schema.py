"""Migrations, the schema check at start, and the UTC rule for every stored time."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain import Status
from bot.ports import ManualClock
from storage.engine import async_url, create_engine, safe_url
from storage.migrate import (
    SchemaBehind,
    SchemaUnknown,
    alembic_config,
    current_revision,
    ensure_schema,
    head_revision,
)
from storage.models import AnnouncementRow, Base
from storage.repository import Repository
from tests.conftest import POSTGRES_ENV
from tests.storage.util import new, post

ROOT = Path(__file__).resolve().parents[2]
# What the migration adds by hand for search, which the models do not describe.
SEARCH_ONLY = ("announcements_fts", "search_vector", "ix_announcements_search")


def _differences(connection: Connection) -> list[Any]:
    diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    return [d for d in diffs if not any(name in repr(d) for name in SEARCH_ONLY)]


def _downgrade_then_upgrade(connection: Connection) -> list[str]:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, "base")
    left = [t for t in inspect(connection).get_table_names() if t != "alembic_version"]
    command.upgrade(config, "head")
    return left


async def test_migration_matches_models_and_reverses(engine: AsyncEngine) -> None:
    assert await current_revision(engine) == head_revision()
    async with engine.connect() as conn:
        assert await conn.run_sync(_differences) == []
    async with engine.begin() as conn:
        assert await conn.run_sync(_downgrade_then_upgrade) == []
    assert await current_revision(engine) == head_revision()
    await ensure_schema(engine, auto_upgrade=False)  # up to date: no error


async def test_sqlite_file_created_and_migrated_on_first_run(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'new' / 'dir' / 'herald.db'}"
    engine = create_engine(url)
    try:
        assert await current_revision(engine) is None
        await ensure_schema(engine, auto_upgrade=True)
        assert await current_revision(engine) == head_revision()
        assert (tmp_path / "new" / "dir" / "herald.db").exists()
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_empty_postgres_is_refused_with_the_command_to_run(pg_database: str) -> None:
    engine = create_engine(pg_database)
    try:
        with pytest.raises(SchemaBehind, match="herald db upgrade"):
            await ensure_schema(engine, auto_upgrade=False)
        assert await current_revision(engine) is None  # refused, not half-migrated
    finally:
        await engine.dispose()


async def test_naive_datetime_refused(repo: Repository) -> None:
    naive = datetime(2026, 8, 14, 12, 0)  # noqa: DTZ001 - the point of the test
    with pytest.raises(Exception, match="naive datetime refused"):
        await repo.announcements.create(new(), status=Status.PUBLISHED, now=naive)
    assert (await repo.announcements.counts()) == {}


async def test_times_read_back_aware_utc(repo: Repository, clock: ManualClock) -> None:
    seoul = timezone(timedelta(hours=9))
    when = datetime(2026, 8, 15, 9, 30, 15, 123456, tzinfo=seoul)
    clock.set(when)
    a = (await post(repo, clock)).announcement
    got = await repo.announcements.get(a.id)
    assert got is not None
    for value in (got.created_at, got.updated_at, got.published_at):
        assert value is not None
        assert value.tzinfo is not None
        assert value.utcoffset() == timedelta(0)
        assert value == when
        assert value.hour == 0  # 09:30 in Seoul is 00:30 UTC
    async with repo.sessions() as session:
        stored = await session.scalar(select(AnnouncementRow.created_at))
    assert stored == when.astimezone(UTC)


async def test_time_order_across_offsets(repo: Repository, clock: ManualClock) -> None:
    # 10:00 in New York is later than 12:00 UTC: listing order must follow the instant.
    clock.set(datetime(2026, 8, 14, 12, 0, tzinfo=UTC))
    early = (await post(repo, clock, "early")).announcement
    clock.set(datetime(2026, 8, 14, 10, 0, tzinfo=timezone(timedelta(hours=-4))))
    late = (await post(repo, clock, "late")).announcement
    page = await repo.announcements.latest(page=1, size=5)
    assert [x.id for x in page.items] == [late.id, early.id]


@pytest.mark.postgres
@pytest.mark.skipif(POSTGRES_ENV not in os.environ, reason="checks the PostgreSQL setting")
def test_unreachable_postgres_fails_loudly(tmp_path: Path) -> None:
    env = {**os.environ, POSTGRES_ENV: "postgresql+psycopg://postgres@127.0.0.1:1/test"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/storage/test_chats.py::test_state[postgres]",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "skipped" not in result.stdout.splitlines()[-1]
    assert f"{POSTGRES_ENV} is set but PostgreSQL is unreachable" in result.stdout


async def test_schema_from_a_newer_herald_is_refused(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    for auto_upgrade in (True, False):
        with pytest.raises(SchemaUnknown, match="newer Herald"):
            await ensure_schema(engine, auto_upgrade=auto_upgrade)


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("postgres://u:secret@db.example/herald", "postgresql+psycopg"),
        ("postgresql://db.example/herald", "postgresql+psycopg"),
        ("sqlite:///herald.db", "sqlite+aiosqlite"),
    ],
)
def test_database_urls(given: str, driver: str) -> None:
    assert async_url(given).drivername == driver
    assert "secret" not in safe_url(given)


def test_unsupported_database_named() -> None:
    with pytest.raises(ValueError, match="'mysql'"):
        async_url("mysql://db.example/herald")
