"""Who sees and who may run Herald's slash commands: default permissions, refusals before forms."""

from __future__ import annotations

import asyncio
import logging

import discord
import pytest

from adapters.discord.adapter import DiscordAdapter
from bot.commands.types import Command
from bot.replies import Reply
from tests.discord.conftest import RecordingCore
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.discord_payloads import JSON, FakeChannel, FakeUser
from tests.images import png

MANAGE_GUILD = discord.Permissions(manage_guild=True).value
MANAGE_CHANNELS = discord.Permissions(manage_channels=True).value

# Herald admins' commands: hidden in guilds from members without Manage Server.
HERALD_ADMIN_COMMANDS = {
    "post",
    "draft",
    "edit",
    "publish",
    "schedule",
    "delete",
    "stats",
    "anniversary",
    "admin",
    "feed",
}
# A channel's settings: hidden from members without Manage Channels (the core's chat admin).
CHAT_ADMIN_COMMANDS = {"subscribe", "unsubscribe", "lang"}
MEMBER_COMMANDS = {
    "start",
    "help",
    "subscriptions",
    "latest",
    "tag",
    "tags",
    "search",
    "show",
    "anniversaries",
}


def general(fake: FakeDiscord) -> tuple[FakeChannel, FakeUser]:
    guild = next(iter(fake.guilds.values()))
    return guild.channel("general"), guild.members[0]


def synced_body(fake: FakeDiscord) -> list[JSON]:
    """What the client sent in its last bulk overwrite of the global commands."""
    puts = [body for method, path, body in fake.requests if method == "PUT" and "commands" in path]
    assert puts, "no command sync was sent"
    body: list[JSON] = puts[-1]
    return body


async def test_admin_commands_are_synced_with_default_member_permissions(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    sent = {c["name"]: c.get("default_member_permissions") for c in synced_body(fake)}
    assert set(sent) == HERALD_ADMIN_COMMANDS | CHAT_ADMIN_COMMANDS | MEMBER_COMMANDS
    assert {n: sent[n] for n in HERALD_ADMIN_COMMANDS} == dict.fromkeys(
        HERALD_ADMIN_COMMANDS, MANAGE_GUILD
    )
    assert {n: sent[n] for n in CHAT_ADMIN_COMMANDS} == dict.fromkeys(
        CHAT_ADMIN_COMMANDS, MANAGE_CHANNELS
    )
    assert {n: sent[n] for n in MEMBER_COMMANDS} == dict.fromkeys(MEMBER_COMMANDS)
    # Discord answers with the bits as a string; nothing is guild-only (DMs work too).
    stored = {c["name"]: c for c in fake.commands[None]}
    assert stored["post"]["default_member_permissions"] == str(MANAGE_GUILD)
    assert stored["tags"]["default_member_permissions"] is None
    assert all(c["dm_permission"] is True for c in synced_body(fake))


async def test_cli_sync_sends_the_same_permissions(
    fake: FakeDiscord, core: RecordingCore, seams: FakeDiscord
) -> None:
    from tests.discord.conftest import config_for

    offline = DiscordAdapter(core, config_for(fake), state=core.state)
    await offline.sync_commands()
    sent = {c["name"]: c.get("default_member_permissions") for c in synced_body(fake)}
    assert sent["delete"] == MANAGE_GUILD
    assert sent["search"] is None


@pytest.mark.parametrize(
    ("name", "options", "checked"),
    [
        ("post", {}, "/post"),
        ("draft", {}, "/draft"),
        ("edit", {"id": 12}, "/edit 12"),
    ],
)
async def test_a_member_is_refused_before_the_form_opens(
    adapter: DiscordAdapter,
    fake: FakeDiscord,
    core: RecordingCore,
    name: str,
    options: dict[str, object],
    checked: str,
) -> None:
    channel, member = general(fake)
    # Default permissions are only a hint: Discord lets anyone a server owner allowed run it.
    refused = await fake.answered(await fake.slash(name, options, user=member, channel=channel))
    assert refused.callback_type == 4  # a message, not a modal
    assert refused.callbacks[0]["data"]["content"] == "This command is for admins."
    assert refused.callbacks[0]["data"]["flags"] & 64  # ephemeral
    assert [c.text for c in core.checked] == [checked]
    assert core.seen == []  # nothing ran
    opened = await fake.answered(
        await fake.slash(name, options, user=member, channel=channel, admin=True)
    )
    assert opened.callback_type == 9


async def test_photo_is_not_downloaded_for_a_member(
    adapter: DiscordAdapter, fake: FakeDiscord, core: RecordingCore
) -> None:
    channel, member = general(fake)
    attachment = fake.files.store("p.png", png(), "image/png")
    refused = await fake.answered(
        await fake.slash("post", user=member, channel=channel, attachments={"photo": attachment})
    )
    assert refused.callback_type == 4
    assert fake.files.downloads == []


async def test_a_slow_or_failing_admin_check_answers_instead_of_opening_nothing(
    adapter: DiscordAdapter,
    fake: FakeDiscord,
    core: RecordingCore,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from adapters.discord import photos

    monkeypatch.setattr(photos, "FORM_CHECK_DEADLINE", 0.2)
    channel, member = general(fake)

    async def slow(command: Command) -> Reply | None:
        await asyncio.sleep(5)
        return None

    core.refusal = slow  # type: ignore[method-assign]  # a database that hangs
    with caplog.at_level(logging.WARNING):
        late = await fake.answered(
            await fake.slash("post", user=member, channel=channel, admin=True)
        )
    assert late.callback_type == 4
    assert late.callbacks[0]["data"]["content"] == "Something went wrong; please try again later."
    assert late.callback_times[0] < 3
    assert "took too long" in caplog.text

    async def broken(command: Command) -> Reply | None:
        raise RuntimeError("database is down")

    core.refusal = broken  # type: ignore[method-assign]
    failed = await fake.answered(
        await fake.slash("edit", {"id": 3}, user=member, channel=channel, admin=True, locale="ko")
    )
    assert failed.callback_type == 4
    assert failed.callbacks[0]["data"]["content"] == (
        "문제가 발생했습니다. 잠시 후 다시 시도해 주십시오."
    )
    assert core.seen == []
