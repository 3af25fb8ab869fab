"""Shared fixtures: real databases (SQLite always; PostgreSQL when the environment names one)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.ports import ManualClock
from storage.engine import create_engine
from storage.migrate import upgrade
from storage.repository import Repository

POSTGRES_ENV = "HERALD_TEST_POSTGRES_URL"
# `herald run` serves HTTP on 127.0.0.1:8080 by default: tests (and the subprocesses that
# inherit this environment) would fight over that port, with each other and with other
# checkouts on this machine. Tests of the HTTP server pick a free port themselves.
os.environ["HERALD_HTTP_LISTEN"] = "off"
# A copy of ../shared/samples/society-post.txt, so the suite runs without shared/.
SAMPLES = Path(__file__).resolve().parent / "data"
NO_POSTGRES = (
    f"PostgreSQL tests need {POSTGRES_ENV}, e.g. "
    "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def postgres_url() -> str | None:
    """The PostgreSQL server the tests may use, from the environment."""
    return os.environ.get(POSTGRES_ENV) or None


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test; fails (never skips) when unreachable."""
    base = postgres_url()
    if base is None:
        pytest.skip(NO_POSTGRES)
    name = "herald_t_" + uuid.uuid4().hex[:12]
    admin = _libpq(base)
    try:
        conn = psycopg.connect(admin, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"{POSTGRES_ENV} is set but PostgreSQL is unreachable: {exc}")
    with conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated-later database URL: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'herald.db'}"
    return str(request.getfixturevalue("pg_database"))


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """A migrated engine on the test database."""
    engine = create_engine(database_url)
    await upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def repo(engine: AsyncEngine) -> Repository:
    """The repository over the test database."""
    return Repository.for_engine(engine)


@pytest.fixture
def clock() -> ManualClock:
    """A clock the test moves by hand, starting 2026-08-14 12:00 UTC."""
    return ManualClock(datetime(2026, 8, 14, 12, 0, tzinfo=UTC))


@pytest.fixture
def sample_post() -> str:
    """The society's real announcement from shared/samples."""
    return (SAMPLES / "society-post.txt").read_text(encoding="utf-8")
