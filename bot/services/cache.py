"""A small time-bounded cache for values other processes may change (chats, admins)."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TTLCache(Generic[K, V]):
    """Least-recently-used entries, each trusted for `ttl` seconds."""

    def __init__(
        self, *, ttl: float, size: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl
        self._size = size
        self._clock = clock
        self._items: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._loading: dict[K, asyncio.Task[V]] = {}
        # Bumped by drop() and clear(): a value read before a local write must not be kept.
        self._epoch = 0

    @property
    def epoch(self) -> int:
        """How many drops and clears so far; pass it to put() for a value read after it."""
        return self._epoch

    def get(self, key: K) -> V | None:
        """The cached value, or None when absent or too old."""
        found = self._items.get(key)
        if found is None:
            return None
        stored, value = found
        if self._clock() - stored > self._ttl:
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V, *, since: int | None = None) -> None:
        """Remember a value; with `since` (an epoch), only if nothing was dropped after it."""
        if since is not None and since != self._epoch:
            return
        self._items[key] = (self._clock(), value)
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)

    async def fetch(
        self,
        key: K,
        load: Callable[[], Awaitable[V]],
        keep: Callable[[V], bool] = lambda _value: True,
    ) -> V:
        """The cached value, else `load()`'s (kept if `keep` says so); one load per key at once."""
        found = self.get(key)
        if found is not None:
            return found
        flight = self._loading.get(key)
        if flight is None:
            flight = asyncio.ensure_future(self._load(key, load, keep))
            flight.add_done_callback(consume_exception)
            self._loading[key] = flight
        # Shielded: one caller giving up must not cancel the load the others wait for.
        return await asyncio.shield(flight)

    async def _load(self, key: K, load: Callable[[], Awaitable[V]], keep: Callable[[V], bool]) -> V:
        epoch = self._epoch
        try:
            value = await load()
        finally:
            if self._loading.get(key) is asyncio.current_task():
                del self._loading[key]
        if keep(value):
            self.put(key, value, since=epoch)
        return value

    def drop(self, key: K) -> None:
        """Forget one key (and let the next fetch load it afresh)."""
        self._epoch += 1
        self._items.pop(key, None)
        self._loading.pop(key, None)

    def clear(self) -> None:
        """Forget everything."""
        self._epoch += 1
        self._items.clear()
        self._loading.clear()


def consume_exception(future: asyncio.Future[Any]) -> None:
    """Mark a failure as seen even when every waiter gave up (no "never retrieved" warning)."""
    if not future.cancelled():
        future.exception()
