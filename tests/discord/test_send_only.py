"""start_sending(): a REST login only (no gateway, no command sync); a Discord that is down."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.discord.adapter import DiscordAdapter
from adapters.discord.config import DiscordConfig
from adapters.discord.platform import GLOBAL_REQUESTS_PER_SECOND
from adapters.discord.wiring import discord_config
from bot.domain import ChatKind
from bot.ports import MessageKind, OutboundMessage, Target, Transient
from bot.settings import Settings
from tests.adapter_state import MemoryState
from tests.discord.conftest import RecordingCore, config_for
from tests.fakes.discord_api import FakeDiscord

MESSAGE = OutboundMessage(MessageKind.ANNOUNCEMENT, "Liberation Day", "We remember.")


@pytest.fixture(autouse=True)
def restored_seams() -> Iterator[None]:
    """start_sending points discord.py at the fake; put the URLs back afterwards."""
    old = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    try:
        yield
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old


async def test_send_only_sends_crossposts_edits_deletes_without_gateway(
    fake: FakeDiscord, core: RecordingCore
) -> None:
    guild = next(iter(fake.guilds.values()))
    general, news = guild.channel("general"), guild.channel("news")
    adapter = DiscordAdapter(core, config_for(fake), state=core.state)
    await adapter.start_sending()
    try:
        assert adapter.ready.is_set()
        news_ids = await adapter.send(
            Target(str(news.id), ChatKind.GUILD_CHANNEL), MESSAGE, key="d-news"
        )
        (posted,) = fake.channel_messages(news.id)
        assert news_ids == [str(posted.id)]
        assert posted.crossposted  # the channel's type was asked over REST
        target = Target(str(general.id), ChatKind.GUILD_CHANNEL)
        ids = await adapter.send(target, MESSAGE, key="d-general")
        changed = OutboundMessage(MessageKind.ANNOUNCEMENT, "Liberation Day", "Edited.")
        assert await adapter.edit(target, ids, changed) == ids
        (message,) = fake.channel_messages(general.id)
        assert message.embeds[0]["description"] == "Edited."
        await adapter.delete(target, ids)
        assert fake.channel_messages(general.id) == []
    finally:
        await adapter.stop()
    assert fake.sessions == []
    assert fake.gateway_queries == []
    assert fake.command_syncs == []
    assert not any(path.startswith("/gateway") for _, path, _ in fake.requests)
    assert ("GET", f"/channels/{news.id}", None) in fake.requests


async def test_send_only_with_discord_down_logs_once_and_stops_cleanly(
    core: RecordingCore, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = DiscordConfig(
        token="down-bot-token",
        api_url=f"http://127.0.0.1:{port}/api/v10",
        gateway_url=f"ws://127.0.0.1:{port}/ws",
    )
    adapter = DiscordAdapter(core, config, state=core.state)
    await adapter.start_sending()  # returns although nothing answers
    try:
        assert not adapter.ready.is_set()
        with pytest.raises(Transient):
            await adapter.send(Target("1", ChatKind.GUILD_CHANNEL), MESSAGE, key="d")
    finally:
        await adapter.stop()
    lines = [r for r in caplog.records if "Discord unreachable" in r.getMessage()]
    assert len(lines) == 1
    assert lines[0].levelno == logging.ERROR
    assert config.token not in caplog.text


async def test_send_only_with_a_rejected_token_stays_off(
    fake: FakeDiscord, core: RecordingCore, caplog: pytest.LogCaptureFixture
) -> None:
    adapter = DiscordAdapter(core, config_for(fake, token="wrong-token"), state=core.state)
    await adapter.start_sending()
    try:
        assert not adapter.ready.is_set()
    finally:
        await adapter.stop()
    assert "rejected the bot token" in caplog.text


def test_several_delivery_processes_share_the_global_request_rate() -> None:
    settings = Settings(discord_token="a-token", delivery_processes=4)
    config = discord_config(settings)
    assert config.processes == 4
    adapter = DiscordAdapter(RecordingCore(), config, state=MemoryState())
    assert adapter.pacer.interval == pytest.approx(4 / GLOBAL_REQUESTS_PER_SECOND)
    single_config = discord_config(Settings(discord_token="a-token"))
    single = DiscordAdapter(RecordingCore(), single_config, state=MemoryState())
    assert single.pacer.interval == pytest.approx(1 / GLOBAL_REQUESTS_PER_SECOND)
    with pytest.raises(ValueError, match="processes"):
        DiscordConfig(token="t", processes=0)
