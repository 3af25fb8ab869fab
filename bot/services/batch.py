"""Coalesces the lookups many concurrent commands make into one query per event-loop tick."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Mapping
from typing import Generic, TypeVar

from bot.services.cache import consume_exception

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Batcher(Generic[K, V]):
    """Keys asked for within `window` seconds (0: one loop iteration) load in one call."""

    def __init__(
        self,
        load_many: Callable[[list[K]], Awaitable[Mapping[K, V]]],
        *,
        window: float = 0.0,
        max_batch: int = 500,
    ) -> None:
        self._load_many = load_many
        self._window = window
        self._max_batch = max_batch
        self._waiting: dict[K, asyncio.Future[V | None]] = {}
        self._flying: dict[K, asyncio.Future[V | None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._scheduled = False
        self.batches = 0
        self.keys_loaded = 0

    async def load(self, key: K) -> V | None:
        """The value for `key`, None when `load_many` did not return it."""
        future = self._waiting.get(key) or self._flying.get(key)
        if future is None:
            loop = asyncio.get_running_loop()
            future = loop.create_future()
            future.add_done_callback(consume_exception)
            self._waiting[key] = future
            if not self._scheduled:
                # After the callbacks already queued (and the window): the other commands of
                # this burst of updates ask for their keys first, and all go out together.
                self._scheduled = True
                if self._window:
                    loop.call_later(self._window, self._flush)
                else:
                    loop.call_soon(self._flush)
        return await asyncio.shield(future)

    def forget(self, key: K) -> None:
        """Later loads of `key` do not join a query already sent (it may predate a write)."""
        self._flying.pop(key, None)

    def _flush(self) -> None:
        self._scheduled = False
        keys = list(self._waiting)
        for start in range(0, len(keys), self._max_batch):
            batch = {key: self._waiting.pop(key) for key in keys[start : start + self._max_batch]}
            self._flying.update(batch)
            task = asyncio.ensure_future(self._run(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(self, batch: dict[K, asyncio.Future[V | None]]) -> None:
        self.batches += 1
        self.keys_loaded += len(batch)
        try:
            found = await self._load_many(list(batch))
        except asyncio.CancelledError:
            for future in batch.values():
                future.cancel()
            raise
        except Exception as exc:  # every waiter gets the failure, as if it had asked alone
            for future in batch.values():
                if not future.done():
                    future.set_exception(exc)
        else:
            for key, future in batch.items():
                if not future.done():
                    future.set_result(found.get(key))
        finally:
            for key, future in batch.items():
                if self._flying.get(key) is future:
                    del self._flying[key]
