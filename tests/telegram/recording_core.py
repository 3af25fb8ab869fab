"""A small Core for adapter tests: answers a few commands and records everything it is told."""

from __future__ import annotations

from bot.commands.types import Command
from bot.domain import ChatRef
from bot.ports import CommandInfo
from bot.replies import Button, Reply, ReplyBuilder, text_reply
from tests.adapter_state import MemoryState

DESCRIPTIONS = {"en": "Check the bot", "ru": "Проверить бота", "ko": "봇 확인"}


class RecordingCore:
    """Implements bot.ports.Core with canned answers."""

    def __init__(self) -> None:
        self.seen: list[Command] = []
        self.joined: list[ChatRef] = []
        self.left: list[tuple[ChatRef, str]] = []
        self.migrated: list[tuple[ChatRef, str]] = []
        self.state = MemoryState()

    async def handle(self, command: Command) -> Reply | None:
        """`/ping`, `/page N`, `/long`, `/refuse`, `/silent`, `/boom`; anything else is echoed."""
        self.seen.append(command)
        name, _, rest = command.text.partition(" ")
        if name == "/ping":
            return text_reply("pong <&>")
        if name == "/page":
            page = int(rest or 1)
            return (
                ReplyBuilder()
                .bold(f"Page {page}")
                .buttons(
                    Button("‹ Prev", f"/page {page - 1}"), Button("Next ›", f"/page {page + 1}")
                )
                .build()
            )
        if name == "/long":
            para = "word " * 300
            return Reply(
                "".join(para + "\n\n" for _ in range(20)), buttons=((Button("More", "/ping"),),)
            )
        if name == "/refuse":
            return text_reply("Only admins can do that.", ephemeral=True)
        if name == "/silent":
            return None
        if name == "/boom":
            raise RuntimeError("kaboom: internal detail")
        return text_reply(f"echo: {command.text}")

    async def chat_joined(self, chat: ChatRef) -> None:
        """Record the join."""
        self.joined.append(chat)

    async def chat_left(self, chat: ChatRef, reason: str) -> None:
        """Record the leave."""
        self.left.append((chat, reason))

    async def chat_migrated(self, chat: ChatRef, new_external_id: str) -> None:
        """Record the migration."""
        self.migrated.append((chat, new_external_id))

    def commands(self, language: str) -> list[CommandInfo]:
        """One public command and one admin-only command."""
        return [
            CommandInfo("ping", DESCRIPTIONS[language]),
            CommandInfo("post", "Publish", admin_only=True),
        ]

    async def tag_names(self, prefix: str, limit: int = 25) -> list[str]:
        """No tags."""
        return []

    async def refusal(self, command: Command) -> Reply | None:
        """The Telegram adapter never asks: it makes one handle() call per command."""
        raise AssertionError("the Telegram adapter asked for a refusal")
