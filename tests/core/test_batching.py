"""The batcher and the single-flight cache: failures, cancellations, writes during a load."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import pytest

from bot.services.batch import Batcher
from bot.services.cache import TTLCache
from bot.services.known_chats import KnownChats


class Table:
    """A tiny stand-in for a database table that counts its reads and may fail or stall."""

    def __init__(self) -> None:
        self.rows = {"a": 1, "b": 2}
        self.reads: list[list[str]] = []
        self.fail: Exception | None = None
        self.gate = asyncio.Event()
        self.gate.set()

    async def load_many(self, keys: list[str]) -> Mapping[str, int]:
        self.reads.append(sorted(keys))
        await self.gate.wait()
        if self.fail is not None:
            raise self.fail
        return {key: self.rows[key] for key in keys if key in self.rows}

    async def load(self) -> int:
        found = await self.load_many(["a"])
        return found["a"]


async def test_keys_of_one_tick_go_together_and_missing_ones_are_none() -> None:
    table = Table()
    batcher = Batcher(table.load_many)
    found = await asyncio.gather(*(batcher.load(key) for key in ["a", "b", "c", "a"]))
    assert found == [1, 2, None, 1]
    assert table.reads == [["a", "b", "c"]]
    assert (batcher.batches, batcher.keys_loaded) == (1, 3)


async def test_a_window_gathers_keys_asked_in_later_loop_iterations() -> None:
    table = Table()
    batcher = Batcher(table.load_many, window=0.05)

    async def later(key: str, iterations: int) -> int | None:
        for _ in range(iterations):
            await asyncio.sleep(0)
        return await batcher.load(key)

    found = await asyncio.gather(later("a", 0), later("b", 3), later("c", 10))
    assert list(found) == [1, 2, None]
    assert table.reads == [["a", "b", "c"]]


async def test_big_bursts_are_split_into_batches_of_the_maximum() -> None:
    table = Table()
    batcher = Batcher(table.load_many, max_batch=2)
    await asyncio.gather(*(batcher.load(key) for key in ["a", "b", "c", "d", "e"]))
    assert [len(keys) for keys in table.reads] == [2, 2, 1]


async def test_a_failed_batch_fails_every_waiter_and_the_next_load_asks_again() -> None:
    table = Table()
    table.fail = RuntimeError("database is down")
    batcher = Batcher(table.load_many)
    results = await asyncio.gather(batcher.load("a"), batcher.load("b"), return_exceptions=True)
    assert [str(result) for result in results] == ["database is down"] * 2
    table.fail = None
    assert await batcher.load("a") == 1
    assert len(table.reads) == 2


async def test_one_waiter_giving_up_leaves_the_others_their_answer() -> None:
    table = Table()
    table.gate.clear()
    batcher = Batcher(table.load_many)
    impatient = asyncio.create_task(batcher.load("a"))
    patient = asyncio.create_task(batcher.load("a"))
    await asyncio.sleep(0.01)
    impatient.cancel()
    table.gate.set()
    assert await patient == 1
    with pytest.raises(asyncio.CancelledError):
        await impatient


async def test_a_forgotten_key_is_read_again_rather_than_joined() -> None:
    table = Table()
    table.gate.clear()
    batcher = Batcher(table.load_many)
    early = asyncio.create_task(batcher.load("a"))
    await asyncio.sleep(0.01)
    table.rows["a"] = 10  # a write lands after the first read went out
    batcher.forget("a")
    late = asyncio.create_task(batcher.load("a"))
    await asyncio.sleep(0.01)
    table.gate.set()
    assert await late == 10
    assert await early in (1, 10)
    assert table.reads == [["a"], ["a"]]


async def test_fetch_loads_once_for_concurrent_callers() -> None:
    table = Table()
    cache: TTLCache[str, int] = TTLCache(ttl=5, size=10)
    found = await asyncio.gather(*(cache.fetch("a", table.load) for _ in range(20)))
    assert found == [1] * 20
    assert len(table.reads) == 1
    assert await cache.fetch("a", table.load) == 1
    assert len(table.reads) == 1


async def test_fetch_does_not_keep_a_value_read_before_a_drop() -> None:
    table = Table()
    table.gate.clear()
    cache: TTLCache[str, int] = TTLCache(ttl=5, size=10)
    early = asyncio.create_task(cache.fetch("a", table.load))
    await asyncio.sleep(0.01)
    table.rows["a"] = 10
    cache.drop("a")  # a local write: later readers must see it
    late = asyncio.create_task(cache.fetch("a", table.load))
    await asyncio.sleep(0.01)
    table.gate.set()
    assert await late == 10
    assert await early in (1, 10)
    assert cache.get("a") == 10


async def test_fetch_keeps_only_what_keep_accepts_and_shares_failures() -> None:
    table = Table()
    cache: TTLCache[str, int] = TTLCache(ttl=5, size=10)
    assert await cache.fetch("a", table.load, keep=lambda value: value > 5) == 1
    assert cache.get("a") is None
    table.fail = RuntimeError("no")
    results = await asyncio.gather(
        cache.fetch("a", table.load), cache.fetch("a", table.load), return_exceptions=True
    )
    assert [str(result) for result in results] == ["no", "no"]
    assert len(table.reads) == 2


def test_put_since_an_old_epoch_is_ignored() -> None:
    ticks = [0.0]
    cache: TTLCache[str, int] = TTLCache(ttl=5, size=10, clock=lambda: ticks[0])
    epoch = cache.epoch
    cache.drop("x")
    cache.put("a", 1, since=epoch)
    assert cache.get("a") is None
    cache.put("a", 2, since=cache.epoch)
    assert cache.get("a") == 2
    ticks[0] = 6
    assert cache.get("a") is None


async def test_a_chat_recorded_during_a_reload_of_the_known_keys_stays_known() -> None:
    gate = asyncio.Event()
    stored = {("telegram", "1")}

    async def load(limit: int) -> set[tuple[str, str]] | None:
        snapshot = set(stored)
        await gate.wait()
        return snapshot

    known = KnownChats(load, ttl=30)
    waiting = asyncio.create_task(known.may_exist(("telegram", "2")))
    await asyncio.sleep(0.01)
    stored.add(("telegram", "2"))  # recorded here after the reload read the table
    known.add(("telegram", "2"))
    gate.set()
    assert await waiting
    assert await known.may_exist(("telegram", "1"))
    assert not await known.may_exist(("telegram", "3"))
    assert known.loads == 1


async def test_a_failed_reload_of_the_known_keys_is_tried_again() -> None:
    calls: list[int] = []

    async def load(limit: int) -> set[tuple[str, str]] | None:
        calls.append(limit)
        if len(calls) == 1:
            raise RuntimeError("database is down")
        return set()

    known = KnownChats(load, ttl=30, limit=7)
    with pytest.raises(RuntimeError):
        await known.may_exist(("telegram", "1"))
    assert not await known.may_exist(("telegram", "1"))
    assert calls == [7, 7]
