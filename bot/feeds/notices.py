"""Telling admins about feed sources, privately, on each platform they use."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping

from bot.domain import ChatKind, PublishResult
from bot.feeds.sources import FeedSource
from bot.i18n import translate, translate_plural
from bot.ports import DeliveryError, MessageKind, OutboundMessage, Platform, Target
from bot.replies import Button

log = logging.getLogger(__name__)


class PlatformNotices:
    """bot.feeds.ports.FeedNotices: a private message to each admin on their platform.

    An admin is `platform:user id`, and a user's private chat with the bot has the user's id.
    `platforms` is read at each notice (the adapters start after the service is built).
    """

    def __init__(
        self,
        platforms: Callable[[], Mapping[str, Platform]],
        admins: Callable[[], Awaitable[Iterable[str]]],
        language: str,
    ) -> None:
        self._platforms = platforms
        self._admins = admins
        self.language = language

    async def failing(self, source: FeedSource, failures: int, error: str) -> None:
        """The source failed `failures` times in a row."""
        t = self.language
        await self._tell(
            f"feed-failing-{source.id}",
            translate(t, "A feed source is failing"),
            translate_plural(
                t,
                "Feed #{id} ({url}) failed {count} time in a row: {error}. Herald keeps "
                "trying, less and less often; see `herald feed list`.",
                "Feed #{id} ({url}) failed {count} times in a row: {error}. Herald keeps "
                "trying, less and less often; see `herald feed list`.",
                failures, id=source.id, url=source.url, count=failures, error=error,
            ),
        )  # fmt: skip

    async def recovered(self, source: FeedSource, failures: int) -> None:
        """The source works again."""
        t = self.language
        await self._tell(
            f"feed-recovered-{source.id}",
            translate(t, "A feed source works again"),
            translate(
                t, "Feed #{id} ({url}) answers again after {count} failed polls.",
                id=source.id, url=source.url, count=failures,
            ),
        )  # fmt: skip

    async def draft(self, source: FeedSource, result: PublishResult) -> None:
        """A new entry was kept as a draft."""
        item = result.announcement
        t = self.language
        await self._tell(
            f"feed-draft-{item.id}",
            translate(t, "New draft from the website: {title}", title=item.title[:200]),
            translate(
                t, "Feed #{id} ({url}) has a new entry, kept as draft #{draft}. "
                "Publish it with /publish {draft}, or look at it with /show {draft}.",
                id=source.id, url=source.url, draft=item.id,
            ),
            (Button(translate(t, "Publish"), f"/publish {item.id}"),),
        )  # fmt: skip

    async def _tell(
        self, key: str, title: str, body: str, actions: tuple[Button, ...] = ()
    ) -> None:
        platforms = self._platforms()
        message = OutboundMessage(
            kind=MessageKind.ANNOUNCEMENT, title=title, body=body, language=self.language,
            actions=actions,
        )  # fmt: skip
        for actor in sorted(set(await self._admins())):
            name, _, user = actor.partition(":")
            platform = platforms.get(name)
            if platform is None or not user:
                continue
            try:
                await platform.send(Target(user, ChatKind.PRIVATE), message, key=f"{key}-{user}")
            except DeliveryError as exc:
                log.warning("could not tell admin %s about a feed: %s", actor, exc)
