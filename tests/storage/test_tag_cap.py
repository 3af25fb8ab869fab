"""HERALD_MAX_TAGS_PER_CHAT holds when subscribes in one chat run at the same moment."""

from __future__ import annotations

import asyncio

import pytest

from bot.domain import ChatKind, ChatRef
from bot.ports import ManualClock
from bot.services.chats import ChatService
from bot.tags import TagError, TagLimits
from storage.repository import Repository

LIMIT = 5


async def test_concurrent_subscribes_cannot_pass_the_chat_cap(
    repo: Repository, other_repo: Repository, clock: ManualClock
) -> None:
    limits = TagLimits(per_chat=LIMIT)
    # Two processes (two engines), as a Telegram webhook and a Discord gateway would be.
    services = [ChatService(r.chats, clock, tag_limits=limits) for r in (repo, other_repo)]
    chat = await services[0].ensure(ChatRef("telegram", "-100", ChatKind.GROUP))
    await services[0].subscribe(chat, [f"kept {n}" for n in range(LIMIT - 1)])

    async def one(n: int) -> str:
        try:
            await services[n % 2].subscribe(chat, [f"new {n}"])
        except TagError as error:
            return error.reason
        return "added"

    # Open every pooled connection first, so that no call waits for a connection to open
    # while another runs through alone.
    await asyncio.gather(*(services[n % 2].subscriptions(chat) for n in range(20)))
    # Each alone fits (one slot is left); together they would pass the cap.
    outcomes = await asyncio.gather(*(one(n) for n in range(12)))
    followed = [s for s in await repo.chats.subscriptions(chat.id) if s.tag_key]
    assert len(followed) == LIMIT
    assert sorted(set(outcomes)) == ["added", "chat_full"]
    assert outcomes.count("added") == 1


async def test_subscribing_again_to_followed_tags_is_not_refused(
    repo: Repository, clock: ManualClock
) -> None:
    chats = ChatService(repo.chats, clock, tag_limits=TagLimits(per_chat=2))
    chat = await chats.ensure(ChatRef("telegram", "1", ChatKind.PRIVATE))
    await chats.subscribe(chat, ["Korea", "History"])
    assert await chats.subscribe(chat, ["Korea"]) == []
    with pytest.raises(TagError):
        await chats.subscribe(chat, ["Art"])
    assert await chats.subscribe(chat, []) == [""]  # everything is not a tag
