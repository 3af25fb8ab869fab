"""Telling the owners what the delivery engine decided on its own (a refused photo)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from bot.delivery.config import PhotoRefusedHook
from bot.domain import ChatKind
from bot.i18n import translate
from bot.ports import DeliveryError, MessageKind, OutboundMessage, Platform, Target

log = logging.getLogger(__name__)


def photo_note(language: str) -> str:
    """The line an announcement sent without its refused photo ends with."""
    return translate(language, "(The photo of this announcement could not be shown here.)")


def tell_owners_of_refused_photos(
    platforms: Mapping[str, Platform], owners: Iterable[str], language: str
) -> PhotoRefusedHook:
    """A hook that messages each owner on the refusing platform (HERALD_ADMINS) privately."""
    # An owner is "platform:user id"; a user's private chat with the bot has the user's id.
    recipients = sorted(owners)

    async def tell(announcement_id: int, platform_name: str, reason: str) -> None:
        platform = platforms.get(platform_name)
        if platform is None:
            return
        message = OutboundMessage(
            kind=MessageKind.ANNOUNCEMENT,
            title=translate(language, "A photo was refused"),
            body=translate(
                language,
                "{platform} refused the photo of announcement #{id} ({reason}). The "
                "announcement went to every chat there as text, with a note that the photo "
                "could not be shown. Post a smaller or less elongated image to show it.",
                platform=platform_name.capitalize(), id=announcement_id, reason=reason,
            ),
            language=language,
        )
        for actor in recipients:
            name, _, user = actor.partition(":")
            if name != platform_name or not user:
                continue
            try:
                await platform.send(
                    Target(user, ChatKind.PRIVATE), message,
                    key=f"herald-photo-{announcement_id}-{user}",
                )
            except DeliveryError as exc:
                log.warning("could not tell owner %s about the refused photo: %s", actor, exc)

    return tell
