"""`status`, `status --follow`, `deliveries dead` and `deliveries retry` against a real database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import typer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker
from typer.testing import CliRunner

from bot.cli_delivery import deliveries_app, make_app, status_command
from bot.ports import ManualClock
from storage.engine import create_engine
from storage.migrate import upgrade
from tests.delivery.support import add_chats, publish


@pytest.fixture
def database(tmp_path: Path, clock: ManualClock) -> str:
    """A SQLite file with one announcement: 3 sent, 1 pending, 1 retrying, 1 dead."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'herald.db'}"

    async def seed() -> None:
        engine = create_engine(url)
        await upgrade(engine)
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        await add_chats(sessions, clock.now(), [str(i) for i in range(6)])
        await publish(sessions, clock.now())
        async with sessions.begin() as session:
            await session.execute(text("UPDATE deliveries SET state = 'sent' WHERE id <= 3"))
            await session.execute(text("UPDATE deliveries SET error = '502' WHERE id = 5"))
            await session.execute(
                text("UPDATE deliveries SET state = 'dead', error = 'bad message' WHERE id = 6")
            )
        await engine.dispose()

    asyncio.run(seed())
    return url


def test_status_and_dead_letters(database: str) -> None:
    app = make_app(lambda: database)
    runner = CliRunner(env={"COLUMNS": "200"})
    shown = runner.invoke(app, ["status", "1"])
    assert shown.exit_code == 0, shown.output
    telegram = next(line for line in shown.output.splitlines() if "telegram" in line)
    cells = [cell.strip() for cell in telegram.split("│")[1:-1]]
    assert cells == ["telegram", "3", "1", "1", "1", "0", "6"]

    dead = runner.invoke(app, ["deliveries", "dead"])
    assert dead.exit_code == 0, dead.output
    assert "bad message" in dead.output
    assert "announcement 1" in dead.output

    refused = runner.invoke(app, ["deliveries", "retry"])
    assert refused.exit_code == 2
    retried = runner.invoke(app, ["deliveries", "retry", "6"])
    assert "Queued 1 deliveries again." in retried.output
    assert "No dead deliveries." in runner.invoke(app, ["deliveries", "dead"]).output


def test_follow_ends_when_everything_is_done(database: str) -> None:
    async def finish() -> None:
        engine = create_engine(database)
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE deliveries SET state = 'sent' WHERE state = 'pending'"))
        await engine.dispose()

    asyncio.run(finish())
    result = CliRunner().invoke(make_app(lambda: database), ["status", "--follow"])
    assert result.exit_code == 0, result.output
    assert "6/6" in result.output
    assert "dead 1" in result.output
    assert "All deliveries" in result.output


def test_ready_made_commands_read_the_settings(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HERALD_DATABASE_URL", database)
    app = typer.Typer()
    app.command("status")(status_command)
    app.add_typer(deliveries_app, name="deliveries")
    runner = CliRunner(env={"COLUMNS": "200"})
    shown = runner.invoke(app, ["status", "1"])
    assert shown.exit_code == 0, shown.output
    assert "Announcement 1" in shown.output
    assert "bad message" in runner.invoke(app, ["deliveries", "dead"]).output
