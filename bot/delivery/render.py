"""Turn a claimed outbox row into the neutral message an adapter renders."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from bot.domain import ChatKind
from bot.formatting import styles_from_json
from bot.identity_cache import IdentityCache
from bot.ports import MessageKind, OutboundMessage, PlatformLimits, Target
from bot.ports.outbox import Claimed, Content

RetractionText = Callable[[str], str]
PhotoNote = Callable[[str], str]


def default_retraction_text(language: str) -> str:
    """The notice a copy that can no longer be deleted is edited into (English)."""
    return "This announcement was withdrawn."


def default_photo_note(language: str) -> str:
    """The line added when the platform refused the announcement's photo (English)."""
    return "(The photo of this announcement could not be shown here.)"


def language_of(row: Claimed, default: str = "en") -> str:
    """The language the chat reads: its own setting, else the society's."""
    return row.chat_language or default


_KINDS = {kind.value: kind for kind in ChatKind}


def target_of(row: Claimed) -> Target:
    """Where the row goes; unknown kinds are paced like private chats."""
    return Target(external_id=row.external_id, kind=_KINDS.get(row.chat_kind, ChatKind.PRIVATE))


def _kind_of(content: Content) -> MessageKind:
    if content.kind == "announcement":
        return MessageKind.ANNOUNCEMENT
    if content.kind.startswith("before"):
        return MessageKind.REMINDER
    return MessageKind.ANNIVERSARY


def render(row: Claimed, content: Content, default_language: str = "en") -> OutboundMessage:
    """The announcement or anniversary message the row carries, in the chat's language."""
    language = language_of(row, default_language)
    title, body = content.title, content.body
    if content.translations and language in content.translations:
        title, body = content.translations[language]
    return OutboundMessage(
        kind=_kind_of(content),
        title=title,
        body=body,
        tags=content.tags,
        signature=content.signature,
        category=content.category,
        announcement_id=row.announcement_id,
        published_at=content.published_at,
        language=language,
        body_styles=styles_from_json(content.body_styles),
        photo=content.photo,
    )


def without_photo(message: OutboundMessage, note: str) -> OutboundMessage:
    """The message with its photo left out and a note saying so at the end of the body."""
    body = f"{message.body}\n\n{note}" if message.body else note
    return dataclasses.replace(message, photo=None, body=body)


class MessageCache:
    """Rendered messages by shown content and language: 5,000 identical sends render once.

    With a `photo_note`, messages are rendered without their photo and with that note.
    """

    def __init__(
        self, size: int = 256, default_language: str = "en", photo_note: PhotoNote | None = None
    ) -> None:
        self._kept: IdentityCache[OutboundMessage] = IdentityCache(size)
        self._default_language = default_language
        self._photo_note = photo_note

    def get(self, row: Claimed, content: Content) -> OutboundMessage:
        """The message `row` carries, rendered on first use."""
        key = (language_of(row, self._default_language), row.announcement_id)
        found = self._kept.get(content, key)
        if found is not None:
            return found
        message = render(row, content, self._default_language)
        if self._photo_note is not None and message.photo is not None:
            message = without_photo(message, self._photo_note(message.language))
        return self._kept.put(content, message, key)


def retraction(
    row: Claimed, text: RetractionText, default_language: str = "en"
) -> OutboundMessage:
    """The short notice that replaces a copy too old to delete."""
    language = language_of(row, default_language)
    return OutboundMessage(
        kind=MessageKind.RETRACTION,
        title="",
        body=text(language),
        announcement_id=row.announcement_id,
        language=language,
    )


def chat_interval(limits: PlatformLimits, kind: ChatKind) -> float:
    """The least time between two messages to one chat of this kind."""
    if kind in (ChatKind.PRIVATE, ChatKind.DM):
        return max(0.0, limits.private_chat_interval)
    if kind in (ChatKind.GROUP, ChatKind.CHANNEL, ChatKind.GUILD_CHANNEL):
        return 60.0 / limits.group_per_minute if limits.group_per_minute > 0 else 0.0
    return 0.0
