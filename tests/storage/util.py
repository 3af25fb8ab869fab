"""Helpers shared by the storage contract tests."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from bot.domain import EVERYTHING, Chat, ChatKind, ChatRef, NewAnnouncement, PublishResult, Status
from bot.ports import ManualClock
from storage.models import DeliveryRow
from storage.repository import Repository


def new(title: str = "Title", body: str = "Body", tags: Sequence[str] = ()) -> NewAnnouncement:
    """A new announcement with the given text and tags."""
    return NewAnnouncement(title=title, body=body, tags=tuple(tags), created_by="console:owner")


async def post(
    repo: Repository,
    clock: ManualClock,
    title: str = "Title",
    body: str = "Body",
    tags: Sequence[str] = (),
    *,
    status: Status = Status.PUBLISHED,
) -> PublishResult:
    """Create an announcement (published by default) and move the clock a second on."""
    result = await repo.announcements.create(
        new(title, body, tags), status=status, now=clock.now(), actor="console:owner"
    )
    clock.advance(1)
    return result


async def chat(
    repo: Repository,
    clock: ManualClock,
    external_id: str,
    *,
    everything: bool = False,
    tags: Sequence[str] = (),
    platform: str = "telegram",
) -> Chat:
    """A chat subscribed to everything and/or the given tag keys."""
    found = await repo.chats.ensure(
        ChatRef(platform, external_id, ChatKind.GROUP, f"chat {external_id}"), now=clock.now()
    )
    wanted = ([(EVERYTHING, "")] if everything else []) + [(key, key) for key in tags]
    if wanted:
        await repo.chats.subscribe(found.id, wanted, now=clock.now())
    return found


async def deliveries(repo: Repository, announcement_id: int) -> list[tuple[int, str, str]]:
    """(chat id, action, state) of every outbox row of an announcement, in chat order."""
    async with repo.sessions() as session:
        rows = await session.execute(
            select(DeliveryRow.chat_id, DeliveryRow.action, DeliveryRow.state)
            .where(DeliveryRow.announcement_id == announcement_id)
            .order_by(DeliveryRow.chat_id, DeliveryRow.id)
        )
        return [(int(c), str(a), str(s)) for c, a, s in rows]
