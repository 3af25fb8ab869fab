"""The fake Discord speaks well enough for the real discord.py client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import discord
import pytest
from discord import app_commands

from tests.fakes.discord_api import FakeDiscord
from tests.fakes.discord_payloads import ANNOUNCEMENT


class Bot(discord.Client):
    """A bare client with one slash command, for exercising the fake."""

    def __init__(self) -> None:
        super().__init__(intents=discord.Intents.default(), guild_ready_timeout=0.05)
        self.tree = app_commands.CommandTree(self)
        self.ready = asyncio.Event()
        self.seen: list[str] = []

        @self.tree.command(name="echo", description="Echo")
        async def echo(interaction: discord.Interaction, text: str) -> None:
            self.seen.append(text)
            await interaction.response.send_message(f"echo {text}", ephemeral=True)

    async def on_ready(self) -> None:
        self.ready.set()


@pytest.fixture
async def bot(seams: FakeDiscord) -> AsyncIterator[Bot]:
    client = Bot()
    task = asyncio.create_task(client.start(seams.token))
    await asyncio.wait_for(client.ready.wait(), 5)
    yield client
    await client.close()
    await task


async def test_login_ready_and_guild_cache(bot: Bot, fake: FakeDiscord) -> None:
    guild = next(iter(fake.guilds.values()))
    assert bot.user is not None
    assert bot.user.id == fake.bot.id
    assert bot.application_id == fake.application_id
    cached = bot.get_guild(guild.id)
    assert cached is not None
    news = cached.get_channel(guild.channel("news").id)
    assert isinstance(news, discord.TextChannel)
    assert news.is_news()
    assert fake.sessions[0].identify is not None
    assert fake.sessions[0].identify["token"] == fake.token
    await fake.wait_until(lambda: fake.sessions[0].heartbeats >= 1)


async def test_nonce_is_enforced_and_crosspost(bot: Bot, fake: FakeDiscord) -> None:
    channel_id = next(iter(fake.guilds.values())).channel("news").id
    target = bot.get_partial_messageable(channel_id)
    first = await target.send("hello", nonce="k1")
    again = await target.send("hello", nonce="k1")
    other = await target.send("hello", nonce="k2")
    assert first.id == again.id != other.id
    assert len(fake.channel_messages(channel_id)) == 2
    await first.publish()
    assert fake.messages[first.id].crossposted
    assert fake.channels[channel_id].type == ANNOUNCEMENT


async def test_faults_map_to_discord_errors(bot: Bot, fake: FakeDiscord) -> None:
    channel = next(iter(fake.guilds.values())).channel("general")
    target = bot.get_partial_messageable(channel.id)
    fake.fail(429, path="/messages", retry_after=0.05)
    sent = await target.send("after a 429")
    assert fake.messages[sent.id].content == "after a 429"
    assert fake.rate_limited == 1
    channel.forbidden = True
    with pytest.raises(discord.Forbidden) as forbidden:
        await target.send("x")
    assert forbidden.value.code == 50001
    channel.forbidden, channel.deleted = False, True
    with pytest.raises(discord.NotFound) as gone:
        await target.send("x")
    assert gone.value.code == 10003
    fake.fail(503, path="/messages")
    with pytest.raises(discord.DiscordServerError):
        await target.send("x")


async def test_slash_command_round_trip(bot: Bot, fake: FakeDiscord) -> None:
    guild = next(iter(fake.guilds.values()))
    interaction = await fake.slash(
        "echo", {"text": "hi"}, user=guild.members[0], channel=guild.channel("general")
    )
    message = await fake.reply_to(interaction)
    assert bot.seen == ["hi"]
    assert message.content == "echo hi"
    assert message.ephemeral
    assert interaction.callback_times[0] < 3


async def test_command_sync_and_dm(bot: Bot, fake: FakeDiscord) -> None:
    synced = await bot.tree.sync()
    assert [c.name for c in synced] == ["echo"]
    assert fake.command_syncs == [None]
    guild = discord.Object(next(iter(fake.guilds)))
    bot.tree.copy_global_to(guild=guild)
    await bot.tree.sync(guild=guild)
    assert [c.name for c in await bot.tree.fetch_commands(guild=guild)] == ["echo"]
    assert fake.command_syncs == [None, guild.id]
    member = next(iter(fake.guilds.values())).members[0]
    dm = await bot.http.start_private_message(member.id)
    assert fake.channels[int(dm["id"])].recipient == member
