"""Fixtures: a running fake Discord and the discord.py seams pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from tests.fakes.discord_api import FakeDiscord


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """A fake Discord with one guild (#general text, #news announcement) on loopback."""
    server = FakeDiscord()
    server.add_guild("Society")
    await server.start()
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
def seams(fake: FakeDiscord) -> Iterator[FakeDiscord]:
    """Point discord.py's REST base and gateway at the fake, restoring them afterwards."""
    old_base, old_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = fake.api_url
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        yield fake
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old_base, old_gateway


def guild_of(fake: FakeDiscord) -> discord.Object:
    """The fake's first guild as a discord.py snowflake."""
    return discord.Object(next(iter(fake.guilds)))
