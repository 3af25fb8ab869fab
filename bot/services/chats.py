"""Chats and their subscriptions and languages."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence

from bot.commands.adapter_ports import ChannelDirectory
from bot.domain import EVERYTHING, Chat, ChatKind, ChatRef, Subscription
from bot.i18n import normalize_language
from bot.ports import Clock
from bot.ports.stores import ChatStore
from bot.services.batch import Batcher
from bot.services.cache import TTLCache
from bot.services.known_chats import KnownChats
from bot.tags import DEFAULT_TAG_LIMITS, TagError, TagLimits, checked_tag

# How long a chat's settings (language) read from the database are trusted: a change made by
# another process (a second `herald run`, the CLI) shows within this many seconds.
CHAT_TTL = 30.0
# Lookups of uncached chats wait this long to go out together: under load, commands finish one
# by one and a window of one loop iteration gathers ~10 of them; 5 ms gathers ~30 (the
# benchmark's CPU per command for recorded users fell from 1.2 to 1.0 ms).
LOOKUP_WINDOW = 0.005


class ChatService:
    """Records chats, follows their life on the platform, and keeps their subscriptions."""

    def __init__(
        self,
        store: ChatStore,
        clock: Clock,
        default_language: str = "en",
        *,
        ticker: Callable[[], float] = time.monotonic,
        tag_limits: TagLimits = DEFAULT_TAG_LIMITS,
    ) -> None:
        self._store = store
        self.tag_limits = tag_limits
        self._clock = clock
        self.default_language = default_language
        # Every command looks its chat up; a short TTL bounds staleness across processes.
        self._cache: TTLCache[tuple[str, str], Chat] = TTLCache(
            ttl=CHAT_TTL, size=50_000, clock=ticker
        )
        # A burst of new users costs one query per LOOKUP_WINDOW, not one each.
        self._lookups: Batcher[tuple[str, str], Chat] = Batcher(
            self._load_many, window=LOOKUP_WINDOW
        )
        # Most readers never subscribe: knowing which chats have a row spares them the query.
        self._known = KnownChats(store.keys, ttl=CHAT_TTL, ticker=ticker)

    async def lookup(self, ref: ChatRef) -> Chat:
        """The chat if recorded, else an unrecorded stand-in (id 0); never writes."""
        key = (ref.platform, ref.external_id)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        epoch = self._cache.epoch
        if not await self._known.may_exist(key):
            # Not cached: the known keys are reloaded within CHAT_TTL, and this stand-in with them.
            return Chat(0, ref.platform, ref.external_id, ref.kind, ref.title)
        found = await self._lookups.load(key)
        # Readers who never subscribe leave no row behind; a stand-in carries the defaults.
        chat = found or Chat(0, ref.platform, ref.external_id, ref.kind, ref.title)
        self._cache.put(key, chat, since=epoch)
        return chat

    async def _load_many(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Chat]:
        by_platform: defaultdict[str, list[str]] = defaultdict(list)
        for platform, external_id in keys:
            by_platform[platform].append(external_id)
        found: dict[tuple[str, str], Chat] = {}
        for platform, external_ids in by_platform.items():
            chats = await self._store.get_many(platform, external_ids)
            found.update(((platform, external_id), chat) for external_id, chat in chats.items())
        return found

    async def ensure(self, ref: ChatRef, hint: str | None = None) -> Chat:
        """The chat a command came from, recorded on first sight.

        A private chat is recorded in its user's client language (`hint`), so what is later
        sent there reads like the replies did; groups and channels keep the society's.
        """
        key = (ref.platform, ref.external_id)
        cached = self._cache.get(key)
        if cached is not None and cached.id and (ref.title is None or ref.title == cached.title):
            return cached
        personal = ref.kind in (ChatKind.PRIVATE, ChatKind.DM)
        language = normalize_language(hint) if personal else None
        chat = await self._store.ensure(ref, now=self._clock.now(), language=language)
        self._known.add(key)
        self._cache.put(key, chat)
        return chat

    async def joined(self, ref: ChatRef) -> Chat:
        """The bot was added or unblocked: record it, reactivate it."""
        self._forget(ref.platform, ref.external_id)
        chat = await self._store.ensure(ref, now=self._clock.now(), reactivate=True)
        self._known.add((ref.platform, ref.external_id))
        return chat

    async def target(
        self, channels: ChannelDirectory | None, name: str, *, to_post: bool
    ) -> Chat | None:
        """The group or channel `name` names, recorded as joined; None if the bot cannot see it.

        Asked of the adapter's directory only now, after the sender was found to be an admin,
        so a refused command costs the platform nothing.
        """
        if channels is None:
            return None
        found = await channels.find(name, to_post=to_post)
        return None if found is None else await self.joined(found)

    async def left(self, ref: ChatRef, reason: str) -> None:
        """The bot was removed or blocked: deactivate, keep settings."""
        self._forget(ref.platform, ref.external_id)
        await self._store.deactivate(ref.platform, ref.external_id, reason, now=self._clock.now())

    async def migrated(self, ref: ChatRef, new_external_id: str) -> None:
        """The chat has a new id; subscriptions follow it."""
        self._forget(ref.platform, ref.external_id)
        self._forget(ref.platform, new_external_id)
        await self._store.migrate(
            ref.platform, ref.external_id, new_external_id, now=self._clock.now()
        )
        self._known.add((ref.platform, new_external_id))

    async def subscribe(self, chat: Chat, names: Sequence[str]) -> list[str]:
        """Subscribe to the tags, or to everything when none are given; return what was added.

        TagError when a tag cannot be used, when there are more than `per_subscribe` of them,
        or when the chat would follow more than `per_chat` tags.
        """
        if not names:
            pairs = [(EVERYTHING, "")]
        else:
            pairs = list({key: (key, name) for name, key in self._checked(names)}.values())
        # The store counts and inserts in one locked transaction: the cap holds under concurrency.
        return await self._store.subscribe(
            chat.id, pairs, now=self._clock.now(), max_tags=self.tag_limits.per_chat
        )

    async def unsubscribe(self, chat: Chat, names: Sequence[str]) -> int:
        """Unsubscribe from the tags, or from everything (all subscriptions) when none given."""
        keys = None if not names else [key for _, key in self._checked(names)]
        return await self._store.unsubscribe(chat.id, keys)

    def _checked(self, names: Sequence[str]) -> list[tuple[str, str]]:
        limit = self.tag_limits.per_subscribe
        if len(names) > limit:
            raise TagError("too_many", count=len(names), limit=limit)
        return [checked_tag(name, self.tag_limits) for name in names]

    async def subscriptions(self, chat: Chat) -> list[Subscription]:
        """The chat's subscriptions."""
        return await self._store.subscriptions(chat.id)

    async def set_language(self, chat: Chat, language: str) -> None:
        """Set the chat's reply language."""
        await self._store.set_language(chat.id, language)
        self._forget(chat.platform, chat.external_id)

    def _forget(self, platform: str, external_id: str) -> None:
        """Drop the cached chat, and keep later lookups off a query sent before the change."""
        self._cache.drop((platform, external_id))
        self._lookups.forget((platform, external_id))

    def language_of(self, chat: Chat, hint: str | None = None) -> str:
        """The chat's language: its own setting, else the user's client language, else default."""
        return chat.language or normalize_language(hint) or self.default_language

    async def counts(self) -> dict[str, int]:
        """Active chats per platform."""
        return await self._store.counts()
