"""Chats, subscriptions, admins and adapter state."""

from __future__ import annotations

import asyncio

from bot.domain import EVERYTHING, ChatKind, ChatRef, Subscription
from bot.ports import ManualClock
from storage.repository import Repository
from tests.storage.util import chat, deliveries, post

BIG_TELEGRAM = "-1001234567890123"
BEYOND_INT64 = str(2**63 + 5)


async def test_ensure_creates_once_and_updates_title(repo: Repository, clock: ManualClock) -> None:
    ref = ChatRef("telegram", BIG_TELEGRAM, ChatKind.CHANNEL, "Society")
    first = await repo.chats.ensure(ref, now=clock.now())
    assert (first.external_id, first.kind, first.title, first.active) == (
        BIG_TELEGRAM,
        ChatKind.CHANNEL,
        "Society",
        True,
    )
    renamed = await repo.chats.ensure(
        ChatRef("telegram", BIG_TELEGRAM, ChatKind.CHANNEL, "Society news"), now=clock.now()
    )
    assert renamed.id == first.id
    assert renamed.title == "Society news"
    assert await repo.chats.get("telegram", BIG_TELEGRAM) == renamed
    assert await repo.chats.get("discord", BIG_TELEGRAM) is None


async def test_ids_beyond_int64_and_same_id_on_two_platforms(
    repo: Repository, clock: ManualClock
) -> None:
    discord = await repo.chats.ensure(
        ChatRef("discord", BEYOND_INT64, ChatKind.GUILD_CHANNEL), now=clock.now()
    )
    telegram = await repo.chats.ensure(
        ChatRef("telegram", BEYOND_INT64, ChatKind.PRIVATE), now=clock.now()
    )
    assert discord.id != telegram.id
    got = await repo.chats.get("discord", BEYOND_INT64)
    assert got is not None
    assert got.external_id == BEYOND_INT64
    assert await repo.chats.counts() == {"discord": 1, "telegram": 1}


async def test_concurrent_ensure_makes_one_chat(
    repo: Repository, other_repo: Repository, clock: ManualClock
) -> None:
    ref = ChatRef("telegram", "42", ChatKind.GROUP, "g")
    chats = await asyncio.gather(
        *(r.chats.ensure(ref, now=clock.now()) for r in (repo, other_repo) * 4)
    )
    assert len({c.id for c in chats}) == 1


async def test_deactivate_and_reactivate_keep_subscriptions(
    repo: Repository, clock: ManualClock
) -> None:
    target = await chat(repo, clock, BIG_TELEGRAM, tags=["korea"])
    assert await repo.chats.deactivate("telegram", BIG_TELEGRAM, "bot was blocked", now=clock.now())
    assert not await repo.chats.deactivate("telegram", "404", "x", now=clock.now())
    gone = await repo.chats.get("telegram", BIG_TELEGRAM)
    assert gone is not None
    assert (gone.active, gone.inactive_reason) == (False, "bot was blocked")
    assert await repo.chats.counts() == {}
    result = await post(repo, clock, tags=["Korea"])
    assert result.deliveries == 0
    ref = ChatRef("telegram", BIG_TELEGRAM, ChatKind.GROUP)
    still = await repo.chats.ensure(ref, now=clock.now())
    assert not still.active  # a plain sighting does not undo a block
    back = await repo.chats.ensure(ref, now=clock.now(), reactivate=True)
    assert (back.id, back.active, back.inactive_reason) == (target.id, True, None)
    assert await repo.chats.subscriptions(target.id) == [Subscription(target.id, "korea", "korea")]


async def test_migrate_keeps_subscriptions(repo: Repository, clock: ManualClock) -> None:
    old = await chat(repo, clock, "-12345", tags=["korea"])
    assert await repo.chats.migrate("telegram", "-12345", BIG_TELEGRAM, now=clock.now())
    assert await repo.chats.get("telegram", "-12345") is None
    moved = await repo.chats.get("telegram", BIG_TELEGRAM)
    assert moved is not None
    assert (moved.id, moved.active) == (old.id, True)
    assert [s.tag_key for s in await repo.chats.subscriptions(old.id)] == ["korea"]
    assert not await repo.chats.migrate("telegram", "-999", "-1000", now=clock.now())


async def test_migrate_onto_a_chat_already_seen(repo: Repository, clock: ManualClock) -> None:
    old = await chat(repo, clock, "-12345", everything=True, tags=["korea"])
    clash = await chat(repo, clock, BIG_TELEGRAM, tags=["korea", "events"])
    assert await repo.chats.migrate("telegram", "-12345", BIG_TELEGRAM, now=clock.now())
    moved = await repo.chats.get("telegram", BIG_TELEGRAM)
    assert moved is not None
    assert moved.active
    # The outbox's merge rule: the chat already holding the new id survives, with the union
    # of both chats' subscriptions; the old row stays, inactive, naming the survivor.
    assert moved.id == clash.id
    keys = [s.tag_key for s in await repo.chats.subscriptions(moved.id)]
    assert keys == [None, "events", "korea"]
    left = await repo.chats.get("telegram", "-12345")
    assert left is not None
    assert left.id == old.id
    assert not left.active
    assert left.inactive_reason == f"migrated into chat {clash.id}"
    result = await post(repo, clock, tags=["Korea"])
    assert await deliveries(repo, result.announcement.id) == [(moved.id, "send", "pending")]


async def test_subscribe_and_unsubscribe(repo: Repository, clock: ManualClock) -> None:
    c = await chat(repo, clock, "1")
    added = await repo.chats.subscribe(
        c.id, [("korea", "Korea"), ("кндр", "КНДР"), ("korea", "KOREA")], now=clock.now()
    )
    assert added == ["Korea", "КНДР"]
    assert await repo.chats.subscribe(c.id, [("korea", "Korea")], now=clock.now()) == []
    assert await repo.chats.subscribe(c.id, [(EVERYTHING, "")], now=clock.now()) == [""]
    subs = await repo.chats.subscriptions(c.id)
    assert subs == [
        Subscription(c.id, None, None),
        Subscription(c.id, "korea", "Korea"),
        Subscription(c.id, "кндр", "КНДР"),
    ]
    assert await repo.chats.unsubscribe(c.id, ["korea", "missing"]) == 1
    assert await repo.chats.unsubscribe(c.id, [EVERYTHING]) == 1
    assert [s.tag_key for s in await repo.chats.subscriptions(c.id)] == ["кндр"]
    await repo.chats.subscribe(c.id, [("a", "a"), ("b", "b")], now=clock.now())
    assert await repo.chats.unsubscribe(c.id, None) == 3
    assert await repo.chats.subscriptions(c.id) == []
    assert await repo.chats.unsubscribe(c.id, None) == 0


async def test_concurrent_subscribe_adds_once(
    repo: Repository, other_repo: Repository, clock: ManualClock
) -> None:
    c = await chat(repo, clock, "1")
    results = await asyncio.gather(
        *(
            r.chats.subscribe(c.id, [("korea", "Korea")], now=clock.now())
            for r in (repo, other_repo) * 3
        )
    )
    assert sorted(results) == [[]] * 5 + [["Korea"]]
    assert len(await repo.chats.subscriptions(c.id)) == 1


async def test_language(repo: Repository, clock: ManualClock) -> None:
    c = await chat(repo, clock, "1")
    await repo.chats.set_language(c.id, "ko")
    got = await repo.chats.get("telegram", "1")
    assert got is not None
    assert got.language == "ko"


async def test_admins(repo: Repository, clock: ManualClock) -> None:
    assert not await repo.admins.is_admin("telegram:7")
    assert await repo.admins.add("telegram:7", by="console:owner", now=clock.now())
    assert not await repo.admins.add("telegram:7", by="console:owner", now=clock.now())
    assert await repo.admins.add("discord:" + BEYOND_INT64, by="console:owner", now=clock.now())
    assert await repo.admins.is_admin("telegram:7")
    assert await repo.admins.all() == ["discord:" + BEYOND_INT64, "telegram:7"]
    assert await repo.admins.remove("telegram:7", by="console:owner", now=clock.now())
    assert not await repo.admins.remove("telegram:7", by="console:owner", now=clock.now())
    assert not await repo.admins.is_admin("telegram:7")


async def test_state(repo: Repository, other_repo: Repository) -> None:
    assert await repo.state.get("discord.sync") is None
    await repo.state.set("discord.sync", "abc")
    await repo.state.set("discord.sync", "def")
    await asyncio.gather(
        *(r.state.set("other", str(i)) for i, r in enumerate((repo, other_repo) * 2))
    )
    assert await repo.state.get("discord.sync") == "def"
    assert await repo.state.get("other") in {"0", "1", "2", "3"}
