"""A broadcast to many Discord channels through the delivery engine, with faults on the way."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.discord.adapter import DiscordAdapter
from adapters.discord.platform import RequestPacer
from adapters.discord.wiring import discord_config
from bot.app import Herald, open_herald
from bot.commands.types import Command
from bot.delivery import DeliveryConfig, DeliveryEngine
from bot.domain import ChatKind
from bot.formatting import Photo
from bot.settings import Settings
from storage.outbox import SqlOutbox
from tests.discord.support import migrated
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.discord_payloads import ANNOUNCEMENT, TEXT, FakeChannel
from tests.images import png

GUILDS = 4
CHANNELS_PER_GUILD = 10


@pytest.fixture
async def herald(fake: FakeDiscord, database_url: str) -> AsyncIterator[Herald]:
    await migrated(database_url)
    for g in range(GUILDS):
        kinds = [
            (f"g{g}-c{c}", ANNOUNCEMENT if c == 0 else TEXT) for c in range(CHANNELS_PER_GUILD)
        ]
        fake.add_guild(f"Guild {g}", channels=kinds)
    admin = next(iter(fake.guilds.values())).members[0]
    settings = Settings(
        database_url=database_url,
        admins=f"discord:{admin.id}",
        discord_token=fake.token,
        discord_api_url=fake.api_url,
        discord_gateway_url=fake.gateway_url,
    )
    old = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    running = await open_herald(settings)
    config = replace(discord_config(settings), request_timeout=5.0)
    adapter = DiscordAdapter(running.router, config, state=running.repository.state)
    # Pacing has its own test; here the engine's short send timeout is what is exercised.
    adapter.pacer = RequestPacer(1000.0)
    running.adapters = [adapter]
    running.delivery = DeliveryEngine(
        SqlOutbox(running.repository.sessions),
        {"discord": adapter},
        running.clock,
        DeliveryConfig(
            rates={"discord": math.inf},
            send_timeout=0.4,
            backoff_base=0.05,
            poll_interval=0.05,
            flush_interval=0.01,
            max_attempts=5,
            stop_grace=2.0,
        ),
    )
    await running.delivery.start()
    await adapter.start()
    try:
        yield running
    finally:
        await running.close()
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old


async def command(herald: Herald, fake: FakeDiscord, channel: FakeChannel, text: str) -> str:
    admin = next(iter(fake.guilds.values())).members[0]
    reply = await herald.router.handle(
        Command(
            "discord",
            str(channel.id),
            ChatKind.GUILD_CHANNEL,
            str(admin.id),
            text,
            is_chat_admin=True,
        )
    )
    assert reply is not None
    return reply.plain()


async def test_broadcast_reaches_every_deliverable_channel_once(
    herald: Herald, fake: FakeDiscord
) -> None:
    channels = [c for g in fake.guilds.values() for c in g.channels]
    for channel in channels:
        assert "Subscribed" in await command(herald, fake, channel, "/subscribe")
    forbidden, deleted, slow, flaky = channels[3], channels[14], channels[25], channels[36]
    forbidden.forbidden = True
    deleted.deleted = True
    fake.fail(200, path=f"/channels/{slow.id}/messages$", delay=1.0)  # answered after a timeout
    fake.fail(503, path=f"/channels/{flaky.id}/messages$")
    fake.fail(429, path="/messages$", retry_after=0.1, times=3)
    fake.fail(429, path="/messages$", retry_after=0.1, is_global=True)

    published = await command(herald, fake, channels[0], "/post Broadcast\nTo every channel.")
    assert f"goes to {len(channels)} chats" in published
    gone = (forbidden, deleted)

    def copies(channel: FakeChannel) -> int:
        return len([m for m in fake.channel_messages(channel.id) if m.embeds])

    await fake.wait_until(lambda: all(copies(c) == 1 for c in channels if c not in gone), 15)
    assert herald.delivery is not None
    await herald.delivery.run_until_idle(timeout=10)

    for retried in (slow, flaky):
        posts = [r for r in fake.requests if r[:2] == ("POST", f"/channels/{retried.id}/messages")]
        assert len(posts) >= 2, retried.name
    assert [copies(c) for c in gone] == [0, 0]
    assert all(copies(c) == 1 for c in channels if c not in gone)
    news = [c for c in channels if c.type == ANNOUNCEMENT]
    assert all(fake.channel_messages(c.id)[0].crossposted for c in news)
    for channel in gone:
        chat = await herald.repository.chats.get("discord", str(channel.id))
        assert chat is not None
        assert not chat.active
    counts = await herald.delivery_counts(None)
    assert counts["discord"]["sent"] == len(channels) - 2
    assert fake.rate_limited == 4


async def test_a_photo_post_reaches_channels_attached_and_in_the_embed(
    herald: Herald, fake: FakeDiscord
) -> None:
    channels = [c for g in fake.guilds.values() for c in g.channels][:3]
    for channel in channels:
        assert "Subscribed" in await command(herald, fake, channel, "/subscribe")
    admin = next(iter(fake.guilds.values())).members[0]
    reply = await herald.router.handle(
        Command(
            "discord", str(channels[0].id), ChatKind.GUILD_CHANNEL, str(admin.id),
            "/post With a photo\nRoom 101.", is_chat_admin=True,
            photo=Photo(png(), "", "Room 101.png"),
        )
    )
    assert reply is not None
    assert "goes to 3 chats" in reply.plain()
    assert herald.delivery is not None
    await herald.delivery.run_until_idle(timeout=10)
    for channel in channels:
        (message,) = [m for m in fake.channel_messages(channel.id) if m.embeds]
        assert [a["filename"] for a in message.attachments] == ["Room_101.png"]
        assert message.embeds[0]["image"]["url"] == "attachment://Room_101.png"
