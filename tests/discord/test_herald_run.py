"""`herald run` (bot.app.run) with Discord configured: sync once per command set, serve, deliver."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.app import run
from bot.settings import Settings
from tests.fakes.discord_api import FakeDiscord


class Running(logging.Handler):
    """Sets an event when Herald logs that it is running."""

    def __init__(self) -> None:
        super().__init__()
        self.event = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("Herald running"):
            self.event.set()


@pytest.fixture
def running() -> Iterator[Running]:
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
    running.event.clear()
    task = asyncio.create_task(run(settings))
    try:
        async with asyncio.timeout(10):
            await running.event.wait()
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_herald_run_serves_discord_and_syncs_only_on_change(
    fake: FakeDiscord, database_url: str, running: Running
) -> None:
    from storage.engine import create_engine
    from storage.migrate import upgrade

    engine = create_engine(database_url)
    await upgrade(engine)
    await engine.dispose()
    guild = next(iter(fake.guilds.values()))
    admin, member = guild.members
    general = guild.channel("general")
    settings = Settings(
        database_url=database_url,
        admins=f"discord:{admin.id}",
        discord_token=fake.token,
        discord_api_url=fake.api_url,
        discord_gateway_url=fake.gateway_url,
    )
    async with herald_run(settings, running):
        assert fake.command_syncs == [None]
        subscribed = await fake.reply_to(
            await fake.slash("subscribe", user=member, channel=general, admin=True)
        )
        assert subscribed.content == "Subscribed to every announcement."
        opened = await fake.answered(await fake.slash("post", user=admin, channel=general))
        values = {"title": "From herald run", "body": "Delivered by the engine.", "tags": "Korea"}
        await fake.reply_to(await fake.submit_modal(opened, values, user=admin))
        await fake.wait_until(
            lambda: any(
                m.embeds and m.interaction_id is None for m in fake.channel_messages(general.id)
            )
        )
    async with herald_run(settings, running):
        assert len(fake.sessions) == 1
    assert fake.command_syncs == [None]
