"""What a handler receives: the command, its chat, its language, and the services."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from bot.commands.rendered import RenderedPages
from bot.commands.types import Command
from bot.domain import Chat
from bot.feeds.service import FeedService
from bot.i18n import translate, translate_plural
from bot.ports import Clock
from bot.replies import Reply
from bot.services.access import AccessService
from bot.services.anniversaries import AnniversaryService
from bot.services.announcements import AnnouncementService
from bot.services.chats import ChatService

# platform → state → count, for one announcement (an id) or for everything (None).
DeliveryStats = Callable[[int | None], Awaitable[Mapping[str, Mapping[str, int]]]]


async def no_delivery_stats(_announcement_id: int | None) -> Mapping[str, Mapping[str, int]]:
    """Used until a delivery engine is wired in."""
    return {}


@dataclass(frozen=True, slots=True)
class Services:
    """Every service a handler may call."""

    announcements: AnnouncementService
    chats: ChatService
    anniversaries: AnniversaryService
    access: AccessService
    zone: ZoneInfo
    clock: Clock
    delivery_stats: DeliveryStats = no_delivery_stats
    # HERALD_PUBLIC_URL without the trailing slash: /show links to the website when set.
    public_url: str | None = None
    searches: dict[str, str] = field(default_factory=dict)
    # A burst of members asking one cached page gets one rendering per language.
    rendered: RenderedPages = field(default_factory=RenderedPages)
    # The society's website sources (None where no feed service is wired, e.g. some tests).
    feeds: FeedService | None = None


@dataclass(frozen=True, slots=True)
class Context:
    """One command being handled."""

    command: Command
    name: str
    args: str
    chat: Chat
    language: str
    is_admin: bool
    is_owner: bool
    services: Services

    @property
    def actor(self) -> str:
        """`platform:user_id` of the sender."""
        return self.command.actor

    @property
    def in_shared_chat(self) -> bool:
        """A group, channel or guild channel, where changing settings needs chat admin rights."""
        return self.command.chat_kind.value in ("group", "channel", "guild_channel")

    @property
    def may_change_chat(self) -> bool:
        """Whether the sender may change this chat's subscriptions and language."""
        return not self.in_shared_chat or self.command.is_chat_admin or self.is_admin

    def t(self, message: str, /, **values: object) -> str:
        """Translate into the chat's language."""
        return translate(self.language, message, **values)

    def tn(self, singular: str, plural: str, n: int, /, **values: object) -> str:
        """Translate the form `n` takes into the chat's language."""
        return translate_plural(self.language, singular, plural, n, **values)


Handler = Callable[[Context], Awaitable[Reply | None]]
