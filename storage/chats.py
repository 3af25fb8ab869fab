"""Chats, their subscriptions, admins added by owners, and small adapter state."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import Chat, ChatKind, ChatRef, Subscription
from bot.tags import TagError
from storage import convert, outbox
from storage.audit import record
from storage.engine import dialect_insert, insert_new, read_sessions, write_lock
from storage.models import AdminRow, ChatRow, StateRow, SubscriptionRow

# Built once: every command looks its chat (and often its user) up.
_CHAT = select(ChatRow).where(
    ChatRow.platform == bindparam("platform"), ChatRow.external_id == bindparam("external_id")
)
_ADMIN = select(AdminRow.id).where(AdminRow.actor == bindparam("actor"))
# The table's own columns, built once: a Core select skips the ORM's compile and row work
# (a third of each batched lookup's cost); the ids list expands at execution.
_CHATS = ChatRow.__table__.c
_CHATS_BY_IDS = select(
    _CHATS.id,
    _CHATS.external_id,
    _CHATS.kind,
    _CHATS.title,
    _CHATS.language,
    _CHATS.active,
    _CHATS.inactive_reason,
).where(
    _CHATS.platform == bindparam("platform"),
    _CHATS.external_id.in_(bindparam("external_ids", expanding=True)),
)


class ChatStore:
    """Reads and writes chats and subscriptions."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._reads = read_sessions(sessions)

    async def ensure(
        self,
        ref: ChatRef,
        *,
        now: datetime,
        reactivate: bool = False,
        language: str | None = None,
    ) -> Chat:
        """The chat for `ref`, created on first sight (with `language`); `reactivate` revives it."""
        # Every command passes here: a chat already up to date costs one read, no commit.
        async with self._reads() as session:
            row = await _find(session, ref.platform, ref.external_id)
            if row is not None and not _changes(row, ref, reactivate=reactivate):
                return convert.chat(row)
        async with self._sessions.begin() as session:
            row = await _find(session, ref.platform, ref.external_id)
            if row is None:
                await insert_new(
                    session,
                    ChatRow,
                    {
                        "platform": ref.platform,
                        "external_id": ref.external_id,
                        "kind": ref.kind.value,
                        "title": ref.title,
                        "language": language,
                        "active": True,
                        "created_at": now,
                        "updated_at": now,
                    },
                    ["platform", "external_id"],
                )
                row = await _find(session, ref.platform, ref.external_id)
                assert row is not None
            else:
                if ref.title and ref.title != row.title:
                    row.title = ref.title
                if reactivate and not row.active:
                    row.active, row.inactive_reason, row.updated_at = True, None, now
            await session.flush()
            return convert.chat(row)

    async def get(self, platform: str, external_id: str) -> Chat | None:
        """A chat by the platform's id."""
        async with self._reads() as session:
            row = await _find(session, platform, external_id)
            return None if row is None else convert.chat(row)

    async def get_many(self, platform: str, external_ids: Sequence[str]) -> dict[str, Chat]:
        """The recorded chats among `external_ids` on one platform, by external id."""
        if not external_ids:
            return {}
        values = {"platform": platform, "external_ids": list(external_ids)}
        async with self._reads() as session:
            rows = (await session.execute(_CHATS_BY_IDS, values)).all()
        return {
            external_id: Chat(
                id_, platform, external_id, ChatKind(kind), title, language, active, reason
            )
            for id_, external_id, kind, title, language, active, reason in rows
        }

    async def keys(self, limit: int) -> set[tuple[str, str]] | None:
        """Every recorded chat as (platform, external id); None when there are more than `limit`."""
        query = select(ChatRow.platform, ChatRow.external_id).limit(limit + 1)
        async with self._reads() as session:
            rows = (await session.execute(query)).all()
        if len(rows) > limit:
            return None
        return {(platform, external_id) for platform, external_id in rows}

    async def deactivate(
        self, platform: str, external_id: str, reason: str, *, now: datetime
    ) -> bool:
        """Mark a chat inactive with the reason; its settings stay."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(ChatRow)
                .where(ChatRow.platform == platform, ChatRow.external_id == external_id)
                .values(active=False, inactive_reason=reason, updated_at=now)
            )
            return bool(getattr(result, "rowcount", 0))

    async def migrate(self, platform: str, old_id: str, new_id: str, *, now: datetime) -> bool:
        """Rewrite a chat's id (Telegram group → supergroup), keeping its subscriptions."""
        async with self._sessions.begin() as session:
            await write_lock(session)
            old = await _find(session, platform, old_id)
            if old is None:
                return False
            # One merge rule for commands and deliveries: the outbox moves subscriptions,
            # copies and pending rows onto the chat that keeps the new id.
            survivor = await outbox.move_chat(
                session, chat_id=old.id, new_external_id=new_id, now=now
            )
            await session.execute(
                update(ChatRow)
                .where(ChatRow.id == survivor)
                .values(active=True, inactive_reason=None, updated_at=now)
            )
            return True

    async def set_language(self, chat_id: int, language: str) -> None:
        """Store the chat's reply language."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(ChatRow).where(ChatRow.id == chat_id).values(language=language)
            )

    async def subscribe(
        self,
        chat_id: int,
        tags: Sequence[tuple[str, str]],
        *,
        now: datetime,
        max_tags: int | None = None,
    ) -> list[str]:
        """Add subscriptions (key, name); an empty key means everything. Returns the new names.

        With `max_tags`, TagError("chat_full") when the chat would follow more tags than that;
        counted and inserted under a lock on the chat, so concurrent calls cannot pass it.
        """
        added: list[str] = []
        seen: set[str] = set()
        async with self._sessions.begin() as session:
            if max_tags is not None:
                await _followed_within(session, chat_id, {key for key, _ in tags if key}, max_tags)
            for key, name in tags:
                if key in seen:
                    continue
                seen.add(key)
                values = {"chat_id": chat_id, "tag_key": key, "tag_name": name, "created_at": now}
                if await insert_new(session, SubscriptionRow, values, ["chat_id", "tag_key"]):
                    added.append(name)
        return added

    async def unsubscribe(self, chat_id: int, keys: Sequence[str] | None) -> int:
        """Remove the given subscriptions, or all of them when `keys` is None."""
        async with self._sessions.begin() as session:
            query = delete(SubscriptionRow).where(SubscriptionRow.chat_id == chat_id)
            if keys is not None:
                query = query.where(SubscriptionRow.tag_key.in_(list(keys)))
            result = await session.execute(query)
            return int(getattr(result, "rowcount", 0) or 0)

    async def subscriptions(self, chat_id: int) -> list[Subscription]:
        """The chat's subscriptions, everything first, then by name."""
        async with self._reads() as session:
            rows = (
                await session.scalars(
                    select(SubscriptionRow)
                    .where(SubscriptionRow.chat_id == chat_id)
                    .order_by(SubscriptionRow.tag_key)
                )
            ).all()
            return [
                Subscription(row.chat_id, row.tag_key or None, row.tag_name or None) for row in rows
            ]

    async def counts(self) -> dict[str, int]:
        """Active chats per platform."""
        async with self._reads() as session:
            rows = await session.execute(
                select(ChatRow.platform, func.count())
                .where(ChatRow.active)
                .group_by(ChatRow.platform)
            )
            return {platform: int(count) for platform, count in rows}


async def _followed_within(
    session: AsyncSession, chat_id: int, keys: set[str], limit: int
) -> None:
    """Lock the chat's row, then refuse when it would follow more than `limit` tags."""
    # SQLite: the write lock is the database's; PostgreSQL: the chat's row, FOR UPDATE, so two
    # subscribes in one chat count one after the other while other chats go on.
    await write_lock(session)
    await session.execute(select(ChatRow.id).where(ChatRow.id == chat_id).with_for_update())
    have = set(
        await session.scalars(
            select(SubscriptionRow.tag_key).where(
                SubscriptionRow.chat_id == chat_id, SubscriptionRow.tag_key != ""
            )
        )
    )
    total = len(have | keys)
    if total > limit and not keys <= have:
        raise TagError("chat_full", count=total, limit=limit)


class AdminStore:
    """Admins added by owners."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._reads = read_sessions(sessions)

    async def is_admin(self, actor: str) -> bool:
        """Whether an owner made `actor` an admin."""
        async with self._reads() as session:
            return await session.scalar(_ADMIN, {"actor": actor}) is not None

    async def add(self, actor: str, *, by: str, now: datetime) -> bool:
        """Make `actor` an admin; False when it already was."""
        async with self._sessions.begin() as session:
            values = {"actor": actor, "added_by": by, "created_at": now}
            if not await insert_new(session, AdminRow, values, ["actor"]):
                return False
            await record(session, by, "admin_add", actor, now)
            return True

    async def remove(self, actor: str, *, by: str, now: datetime) -> bool:
        """Take admin rights away; False when `actor` was not an admin."""
        async with self._sessions.begin() as session:
            result = await session.execute(delete(AdminRow).where(AdminRow.actor == actor))
            if getattr(result, "rowcount", 0):
                await record(session, by, "admin_remove", actor, now)
                return True
            return False

    async def all(self) -> list[str]:
        """Every added admin."""
        async with self._reads() as session:
            return list(
                (await session.scalars(select(AdminRow.actor).order_by(AdminRow.actor))).all()
            )


class StateStore:
    """Small key/value state for adapters."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._reads = read_sessions(sessions)

    async def get(self, key: str) -> str | None:
        """The value under `key`, or None."""
        async with self._reads() as session:
            return await session.scalar(select(StateRow.value).where(StateRow.key == key))

    async def set(self, key: str, value: str) -> None:
        """Store `value` under `key`."""
        async with self._sessions.begin() as session:
            await session.execute(
                dialect_insert(session, StateRow)
                .values(key=key, value=value)
                .on_conflict_do_update(index_elements=["key"], set_={"value": value})
            )


def _changes(row: ChatRow, ref: ChatRef, *, reactivate: bool) -> bool:
    return bool(ref.title and ref.title != row.title) or (reactivate and not row.active)


async def _find(session: AsyncSession, platform: str, external_id: str) -> ChatRow | None:
    return await session.scalar(_CHAT, {"platform": platform, "external_id": external_id})
