"""Herald's real core on SQLite, its Telegram adapter and delivery engine, against the fake API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text

from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.wiring import telegram_adapter
from bot.app import Herald, open_herald
from bot.commands.types import Command
from bot.domain import ChatRef
from bot.ports import CommandInfo, Core, Platform
from bot.replies import Reply
from bot.settings import Settings
from tests.fakes.telegram_api import FakeTelegram, SentMessage

ADMIN = 1
TOKEN = "123456:TEST-token"


@dataclass
class World:
    """One running Herald with Telegram, and the fake Bot API it talks to."""

    fake: FakeTelegram
    herald: Herald
    telegram: TelegramAdapter
    core: ObservedCore

    async def say(self, chat_id: int, line: str, **options: Any) -> SentMessage:
        """A user writes in a chat; returns the bot's answer."""
        self.fake.send_text(chat_id, line, **options)
        return await self.fake.next_message(chat_id)

    async def settle(self) -> None:
        """Let the delivery engine send everything that is due."""
        assert self.herald.delivery is not None
        await self.herald.delivery.run_until_idle(timeout=15)

    async def scalar(self, sql: str, **params: Any) -> Any:
        """One value from the database."""
        async with self.herald.repository.sessions() as db:
            return await db.scalar(text(sql), params)

    async def chat(self, external_id: int) -> tuple[bool, str | None] | None:
        """(active, inactive_reason) of a Telegram chat, or None if unknown."""
        async with self.herald.repository.sessions() as db:
            row = (
                await db.execute(
                    text(
                        "SELECT active, inactive_reason FROM chats "
                        "WHERE platform = 'telegram' AND external_id = :id"
                    ),
                    {"id": str(external_id)},
                )
            ).first()
        return None if row is None else (bool(row[0]), row[1])


class ObservedCore:
    """The real core, plus an event after each chat change it has finished recording."""

    def __init__(self, inner: Core) -> None:
        self._inner = inner
        self._changed = asyncio.Event()

    async def handle(self, command: Command) -> Reply | None:
        """Delegated."""
        return await self._inner.handle(command)

    async def chat_joined(self, chat: ChatRef) -> None:
        """Delegated, then announced."""
        await self._inner.chat_joined(chat)
        self._announce()

    async def chat_left(self, chat: ChatRef, reason: str) -> None:
        """Delegated, then announced."""
        await self._inner.chat_left(chat, reason)
        self._announce()

    async def chat_migrated(self, chat: ChatRef, new_external_id: str) -> None:
        """Delegated, then announced."""
        await self._inner.chat_migrated(chat, new_external_id)
        self._announce()

    def commands(self, language: str) -> list[CommandInfo]:
        """Delegated."""
        return self._inner.commands(language)

    async def tag_names(self, prefix: str, limit: int = 25) -> list[str]:
        """Delegated."""
        return await self._inner.tag_names(prefix, limit)

    async def refusal(self, command: Command) -> Reply | None:
        """Delegated."""
        return await self._inner.refusal(command)

    async def until(self, check: Callable[[], Awaitable[bool]], within: float = 5.0) -> None:
        """Wait until `check()` holds, looking again after every chat change."""
        async with asyncio.timeout(within):
            while True:
                # Taken before the check: a change landing while it awaits still wakes us.
                changed = self._changed
                if await check():
                    return
                await changed.wait()

    def _announce(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()


@asynccontextmanager
async def running_world(tmp_path: Path, **settings: Any) -> AsyncIterator[World]:
    """Start Herald as `herald run` does (minus signals), with Telegram pointed at a fake."""
    async with FakeTelegram(TOKEN) as fake:
        config = Settings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'herald.db'}",
            admins=f"telegram:{ADMIN}",
            telegram_token=TOKEN,
            telegram_api_url=fake.root,
            **settings,
        )
        herald = await open_herald(config)
        try:
            # What platform_adapters() builds, around a core that tells when chats change.
            core = ObservedCore(herald.router)
            telegram = telegram_adapter(
                core, herald.repository.state, config, file_ids=herald.repository.file_ids
            )
            herald.adapters = [telegram]
            platforms: dict[str, Platform] = {telegram.name: telegram}
            await herald.start_delivery(platforms).start()
            await telegram.start()
            assert telegram.ready.is_set()
            yield World(fake, herald, telegram, core)
        finally:
            await herald.close()
