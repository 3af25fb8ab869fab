"""Fixtures: a running fake Discord and the discord.py seams pointed at it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.discord.adapter import DiscordAdapter
from adapters.discord.config import DiscordConfig
from bot.commands.types import Command
from bot.domain import ChatRef
from bot.ports import CommandInfo
from bot.replies import Button, Reply, ReplyBuilder, text_reply
from tests.adapter_state import MemoryState
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


class RecordingCore:
    """A stand-in core: records commands and answers `ok: <text>` (with paging for /tag)."""

    def __init__(self) -> None:
        self.seen: list[Command] = []
        # Commands only checked (refusal()), as before a form opens; seen lists those run.
        self.checked: list[Command] = []
        self.left: list[tuple[ChatRef, str]] = []
        self.joined: list[ChatRef] = []
        self.state = MemoryState()
        self.tags = ["Friends of Korea", "Friends of Russia", "DPRK", "Korea"]
        self.delay = 0.0
        self._changed = asyncio.Condition()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_until(self, predicate: Callable[[], bool], seconds: float = 5.0) -> None:
        """Wait until `predicate()` holds, re-checked whenever the core is called."""
        async with asyncio.timeout(seconds), self._changed:
            await self._changed.wait_for(predicate)

    async def handle(self, command: Command) -> Reply | None:
        """Answer like the real core would, roughly."""
        self.seen.append(command)
        await self._notify()
        if self.delay:
            await asyncio.sleep(self.delay)
        refused = _refused(command)
        if refused is not None:
            return refused
        name = command.text.split()[0]
        if name == "/quiet":
            return None
        if name == "/tag":
            words = command.text.split()
            page = int(words[-1]) if words[-1].isdigit() else 1
            tag = " ".join(words[1:-1] if words[-1].isdigit() else words[1:])
            return (
                ReplyBuilder()
                .bold(f"{tag}, page {page}")
                .buttons(Button("Next", f"/tag {tag} {page + 1}"))
                .build()
            )
        return text_reply(f"ok: {command.text}")

    async def refusal(self, command: Command) -> Reply | None:
        """The refusal handle() would answer, or None."""
        self.checked.append(command)
        await self._notify()
        return _refused(command)

    async def chat_joined(self, chat: ChatRef) -> None:
        """Record it."""
        self.joined.append(chat)

    async def chat_left(self, chat: ChatRef, reason: str) -> None:
        """Record it."""
        self.left.append((chat, reason))
        await self._notify()

    async def chat_migrated(self, chat: ChatRef, new_external_id: str) -> None:
        """Not used by Discord."""

    def commands(self, language: str) -> list[CommandInfo]:
        """A Russian description for /tags, to exercise the translator."""
        if language == "ru":
            return [CommandInfo("tags", "Все теги")]
        return [CommandInfo("tags", "Every tag with its count")]

    async def tag_names(self, prefix: str, limit: int = 25) -> list[str]:
        """Tags starting with `prefix`."""
        return [t for t in self.tags if t.casefold().startswith(prefix.casefold())][:limit]


def _refused(command: Command) -> Reply | None:
    admin_only = {"/post", "/draft", "/edit", "/publish", "/delete", "/schedule", "/stats"}
    if command.text.split()[0] in admin_only and not command.is_chat_admin:
        return text_reply("This command is for admins.", ephemeral=True)
    return None


@pytest.fixture
def core() -> RecordingCore:
    """A fresh recording core."""
    return RecordingCore()


def config_for(fake: FakeDiscord, **overrides: Any) -> DiscordConfig:
    """A config pointing at the fake, with short timeouts for tests."""
    values: dict[str, Any] = {
        "token": fake.token,
        "api_url": fake.api_url,
        "gateway_url": fake.gateway_url,
        "guild_ready_timeout": 0.05,
        "start_timeout": 5.0,
        "request_timeout": 2.0,
    }
    values.update(overrides)
    return DiscordConfig(**values)


@pytest.fixture
async def adapter(fake: FakeDiscord, core: RecordingCore) -> AsyncIterator[DiscordAdapter]:
    """A started adapter on the fake (seams restored afterwards)."""
    old_base, old_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    running = DiscordAdapter(core, config_for(fake), state=core.state, defer_after=0.5)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old_base, old_gateway
