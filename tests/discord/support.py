"""Running `herald run` (bot.app.run) in-process for tests, and knowing when it is up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator

from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.app import run
from bot.settings import Settings


class Running(logging.Handler):
    """Sets an event when Herald logs that it is running."""

    def __init__(self) -> None:
        super().__init__()
        self.event = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        """Watch for the "Herald running" line."""
        if record.getMessage().startswith("Herald running"):
            self.event.set()


@contextlib.contextmanager
def watching_herald() -> Iterator[Running]:
    """Listen to the "herald" logger; restore discord.py's seams afterwards."""
    handler = Running()
    logger = logging.getLogger("herald")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    old = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old


@contextlib.asynccontextmanager
async def herald_run(settings: Settings, running: Running) -> AsyncIterator[None]:
    """`herald run` as a task, until the block ends (then cancelled, which closes Herald)."""
    running.event.clear()
    task = asyncio.create_task(run(settings))
    try:
        async with asyncio.timeout(15):
            await running.event.wait()
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def migrated(database_url: str) -> None:
    """Bring the test database to the latest schema (PostgreSQL is not migrated by `run`)."""
    from storage.engine import create_engine
    from storage.migrate import upgrade

    engine = create_engine(database_url)
    await upgrade(engine)
    await engine.dispose()
