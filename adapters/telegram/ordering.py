"""Telegram updates in order within a chat, concurrently across chats, with fair running slots."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from contextvars import ContextVar
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# PTB takes one of its own semaphore's slots *before* do_process_update runs; that semaphore is
# made this wide so an update waiting for its chat's turn never holds a slot another chat needs.
_WAITING_ROOM = 2**31 - 1


class _Slot:
    """One running slot, held by one update; given back while the update only sleeps."""

    def __init__(self, pool: asyncio.Semaphore) -> None:
        self._pool = pool
        self.held = False

    async def take(self) -> None:
        await self._pool.acquire()
        self.held = True

    def give_back(self) -> None:
        if self.held:
            self.held = False
            self._pool.release()


_CURRENT: ContextVar[_Slot | None] = ContextVar("herald_telegram_slot", default=None)
_ARRIVED: ContextVar[float | None] = ContextVar("herald_telegram_arrival", default=None)


def arrival_time() -> float | None:
    """When the update being handled reached Herald (time.monotonic()), before its chat's turn."""
    return _ARRIVED.get()


async def sleep_outside_slot(delay: float) -> None:
    """Sleep without holding the running slot, so other chats' updates run meanwhile."""
    slot = _CURRENT.get()
    if slot is None:
        await asyncio.sleep(delay)
        return
    slot.give_back()
    try:
        await asyncio.sleep(delay)
    finally:
        # Cancelled while waiting for a slot: `held` stays False, so nothing is released twice.
        await slot.take()


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Runs updates concurrently across chats, one at a time within a chat, in arrival order.

    An update first waits for its chat's turn (holding nothing shared), then for one of
    `max_running` slots; a chat's backlog therefore never delays another chat's commands.
    """

    def __init__(self, max_running: int = 256) -> None:
        super().__init__(_WAITING_ROOM)
        self.max_running = max_running
        self._slots = asyncio.Semaphore(max_running)
        self._gates: dict[int, tuple[asyncio.Lock, list[int]]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for the chat's previous update, then for a slot, then process this one."""
        _ARRIVED.set(time.monotonic())  # this task's own context: seen by its handlers only
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await self._run(coroutine)
            return
        lock, users = self._gates.setdefault(chat.id, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                await self._run(coroutine)
        finally:
            users[0] -= 1
            if not users[0]:
                self._gates.pop(chat.id, None)

    async def _run(self, coroutine: Awaitable[Any]) -> None:
        slot = _Slot(self._slots)
        try:
            await slot.take()
        except BaseException:
            # Never awaited: close it so Python does not warn about a forgotten coroutine.
            if asyncio.iscoroutine(coroutine):
                coroutine.close()
            raise
        token = _CURRENT.set(slot)
        try:
            await coroutine
        finally:
            _CURRENT.reset(token)
            slot.give_back()

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""
