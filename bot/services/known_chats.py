"""Which chats have a row: a chat never recorded needs no query to be answered."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

Key = tuple[str, str]
# Loads every recorded (platform, external_id), or None when there are more than `limit`.
LoadKeys = Callable[[int], Awaitable[set[Key] | None]]


class KnownChats:
    """The recorded chats' keys, reloaded after `ttl` seconds; this process's records added."""

    def __init__(
        self,
        load: LoadKeys,
        *,
        ttl: float,
        # About 200 bytes a key: 50,000 chats keep ~10 MB; beyond, every chat is looked up.
        limit: int = 50_000,
        ticker: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load_keys = load
        self._ttl = ttl
        self._limit = limit
        self._ticker = ticker
        self._keys: set[Key] | None = None
        self._loaded_at = -float("inf")
        self._reload: asyncio.Task[None] | None = None
        self._added_meanwhile: set[Key] = set()
        self.loads = 0

    async def may_exist(self, key: Key) -> bool:
        """False only if the chat had no row at a reload less than `ttl` seconds ago."""
        if self._ticker() - self._loaded_at > self._ttl:
            if self._reload is None:
                self._reload = asyncio.ensure_future(self._load())
            # Shielded: one caller giving up must not cancel the reload the others wait for.
            await asyncio.shield(self._reload)
        # None: too many chats to keep their keys; every chat is looked up.
        return self._keys is None or key in self._keys

    def add(self, key: Key) -> None:
        """A chat this process just recorded (a reload under way may have read before it)."""
        if self._keys is not None:
            self._keys.add(key)
        if self._reload is not None:
            self._added_meanwhile.add(key)

    async def _load(self) -> None:
        started = self._ticker()
        self._added_meanwhile = set()
        try:
            self.loads += 1
            keys = await self._load_keys(self._limit)
            if keys is not None:
                keys |= self._added_meanwhile
            self._keys, self._loaded_at = keys, started
        finally:
            self._reload = None
            self._added_meanwhile = set()
