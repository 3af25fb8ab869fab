"""A recording Platform with scripted faults, and seeding helpers that write plain rows."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.ports import (
    Clock,
    MessageKind,
    MessageTooOld,
    OutboundMessage,
    PlatformLimits,
    Target,
    TargetGone,
    TargetMoved,
)
from storage import outbox
from storage.outbox import ANNOUNCEMENTS, CHATS, DELIVERIES

TELEGRAM_LIMITS = PlatformLimits(
    text_length=4096,
    caption_length=1024,
    messages_per_second=30.0,
    private_chat_interval=1.0,
    group_per_minute=20,
    delete_window_seconds=48 * 3600,
)
HANG = "hang"
Fault = BaseException | str


@dataclass
class Shown:
    """A message as the fake platform shows it in a chat."""

    id: str
    chat: str
    message: OutboundMessage
    key: str | None
    sent_at: datetime


@dataclass
class RecordingPlatform:
    """An in-memory platform: records every call, shows messages, raises scripted faults."""

    clock: Clock
    name: str = "telegram"
    limits: PlatformLimits = TELEGRAM_LIMITS
    latency: float = 0.0
    # Faults per chat, consumed one per call (send, edit or delete) to that chat.
    faults: dict[str, deque[Fault]] = field(default_factory=lambda: defaultdict(deque))
    blocked: set[str] = field(default_factory=set)
    moved: dict[str, str] = field(default_factory=dict)
    # The chat refuses deletes of messages older than this (seconds), like Telegram's 48 hours.
    refuse_delete_after: float | None = None
    shown: dict[str, Shown] = field(default_factory=dict)
    sends: list[tuple[str, str]] = field(default_factory=list)
    edits: list[tuple[str, list[str]]] = field(default_factory=list)
    deletes: list[tuple[str, list[str]]] = field(default_factory=list)
    calls: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    gate: asyncio.Event | None = None
    entered: asyncio.Event = field(default_factory=asyncio.Event)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def script(self, chat: str, *faults: Fault) -> None:
        """Make the next calls to `chat` fail in this order."""
        self.faults[chat].extend(faults)

    async def _enter(self, chat: str) -> None:
        self.calls += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self.entered.set()
        try:
            if self.gate is not None:
                await self.gate.wait()
            if self.latency:
                await asyncio.sleep(self.latency)
            queue = self.faults.get(chat)
            if queue:
                fault = queue.popleft()
                if fault == HANG:
                    await asyncio.Event().wait()
                assert isinstance(fault, BaseException)
                raise fault
            if chat in self.blocked:
                raise TargetGone("Forbidden: bot was blocked by the user")
            if chat in self.moved:
                raise TargetMoved(self.moved[chat])
        finally:
            self.in_flight -= 1

    async def send(self, target: Target, message: OutboundMessage, *, key: str) -> list[str]:
        """Show the message in the chat and return its id."""
        await self._enter(target.external_id)
        mid = str(next(self._ids))
        self.shown[mid] = Shown(mid, target.external_id, message, key, self.clock.now())
        self.sends.append((target.external_id, key))
        return [mid]

    async def edit(
        self, target: Target, message_ids: list[str], message: OutboundMessage
    ) -> list[str]:
        """Replace the shown message."""
        await self._enter(target.external_id)
        self.edits.append((target.external_id, list(message_ids)))
        for mid in message_ids:
            old = self.shown[mid]
            self.shown[mid] = Shown(mid, old.chat, message, old.key, old.sent_at)
        return list(message_ids)

    async def delete(self, target: Target, message_ids: list[str]) -> None:
        """Remove the shown message (unless too old)."""
        await self._enter(target.external_id)
        for mid in message_ids:
            age = (self.clock.now() - self.shown[mid].sent_at).total_seconds()
            if self.refuse_delete_after is not None and age > self.refuse_delete_after:
                raise MessageTooOld("message can't be deleted for everyone")
        self.deletes.append((target.external_id, list(message_ids)))
        for mid in message_ids:
            del self.shown[mid]

    def received(self, chat: str) -> list[Shown]:
        """The messages a chat shows now."""
        return [s for s in self.shown.values() if s.chat == chat]

    def send_counts(self) -> dict[str, int]:
        """How many successful sends each chat got."""
        counts: dict[str, int] = defaultdict(int)
        for chat, _ in self.sends:
            counts[chat] += 1
        return dict(counts)

    def texts(self, chat: str) -> list[tuple[MessageKind, str]]:
        """(kind, title or body) of what a chat shows."""
        return [
            (s.message.kind, s.message.title or s.message.body) for s in self.received(chat)
        ]


# --- seeding ------------------------------------------------------------------------------


async def add_chats(
    sessions: async_sessionmaker[AsyncSession],
    now: datetime,
    external_ids: Sequence[str],
    *,
    platform: str = "telegram",
    kind: str = "private",
    tags: Sequence[str] = ("",),
) -> list[int]:
    """Active chats subscribed to `tags` ('' = everything); their row ids, in order."""
    async with sessions.begin() as session:
        await session.execute(
            insert(CHATS),
            [
                {
                    "platform": platform, "external_id": ext, "kind": kind, "active": True,
                    "created_at": now, "updated_at": now,
                }
                for ext in external_ids
            ],
        )
        rows = await session.execute(
            select(CHATS.c.id, CHATS.c.external_id).where(
                CHATS.c.platform == platform, CHATS.c.external_id.in_(list(external_ids))
            )
        )
        ids = {ext: int(cid) for cid, ext in rows}
        for tag in tags:
            await session.execute(
                text(
                    "INSERT INTO subscriptions (chat_id, tag_key, tag_name, created_at) "
                    "SELECT id, :tag, :name, created_at FROM chats WHERE platform = :p"
                    " AND id NOT IN (SELECT chat_id FROM subscriptions WHERE tag_key = :tag2)"
                ),
                {"tag": tag, "name": tag, "tag2": tag, "p": platform},
            )
    return [ids[ext] for ext in external_ids]


async def publish(
    sessions: async_sessionmaker[AsyncSession],
    now: datetime,
    title: str = "Spring meeting",
    body: str = "Room 101 at 18:00.",
    tag_keys: Sequence[str] = (),
) -> tuple[int, int]:
    """A published announcement and its send rows, as the publisher writes them."""
    async with sessions.begin() as session:
        result = await session.execute(
            insert(ANNOUNCEMENTS).returning(ANNOUNCEMENTS.c.id),
            {
                "title": title, "body": body, "status": "published", "revision": 1,
                "views": 0, "published_at": now, "created_at": now, "updated_at": now,
            },
        )
        aid = int(result.scalar_one())
        count = await outbox.enqueue_send(
            session, announcement_id=aid, revision=1, tag_keys=tag_keys, now=now
        )
    return aid, count


async def edit(
    sessions: async_sessionmaker[AsyncSession], now: datetime, aid: int, title: str
) -> int:
    """Bump the announcement's revision with a new title and write edit rows."""
    async with sessions.begin() as session:
        revision = int(
            (
                await session.execute(
                    update(ANNOUNCEMENTS)
                    .where(ANNOUNCEMENTS.c.id == aid)
                    .values(title=title, revision=ANNOUNCEMENTS.c.revision + 1, updated_at=now)
                    .returning(ANNOUNCEMENTS.c.revision)
                )
            ).scalar_one()
        )
        return await outbox.enqueue_edit(session, announcement_id=aid, revision=revision, now=now)


async def retract(sessions: async_sessionmaker[AsyncSession], now: datetime, aid: int) -> int:
    """Retract: status, pending sends skipped, delete rows for every copy."""
    async with sessions.begin() as session:
        await session.execute(
            update(ANNOUNCEMENTS).where(ANNOUNCEMENTS.c.id == aid).values(status="retracted")
        )
        await outbox.cancel_pending_sends(session, announcement_id=aid)
        revision = int(
            (
                await session.execute(
                    select(ANNOUNCEMENTS.c.revision).where(ANNOUNCEMENTS.c.id == aid)
                )
            ).scalar_one()
        )
        return await outbox.enqueue_delete(
            session, announcement_id=aid, revision=revision, now=now
        )


async def rows(sessions: async_sessionmaker[AsyncSession]) -> list[dict[str, object]]:
    """Every delivery row with its chat's external id, as dicts."""
    async with sessions() as session:
        result = await session.execute(
            select(DELIVERIES, CHATS.c.external_id, CHATS.c.active, CHATS.c.inactive_reason)
            .select_from(DELIVERIES.join(CHATS, CHATS.c.id == DELIVERIES.c.chat_id))
            .order_by(DELIVERIES.c.id)
        )
        return [dict(r._mapping) for r in result]


async def copies(sessions: async_sessionmaker[AsyncSession], aid: int) -> dict[int, list[str]]:
    """chat id → message ids of the announcement's copies."""
    async with sessions() as session:
        result = await session.execute(
            select(outbox.COPIES.c.chat_id, outbox.COPIES.c.message_ids).where(
                outbox.COPIES.c.announcement_id == aid
            )
        )
        return {int(c): json.loads(m) for c, m in result}
