"""The Platform port on Telegram: send, edit and delete parts, errors mapped to the neutral set."""

from __future__ import annotations

import contextlib
import json
import logging
import os
from datetime import timedelta
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from adapters.telegram.config import TelegramConfig
from adapters.telegram.photos import PhotoSender
from adapters.telegram.render import CAPTION_LIMIT, TEXT_LIMIT, render_message
from adapters.telegram.transport import AiohttpRequest
from bot.formatting import Photo
from bot.ports import (
    BadMessage,
    DeliveryError,
    FileIds,
    MessageTooOld,
    OutboundMessage,
    PhotoRefused,
    PlatformLimits,
    RetryLater,
    Target,
    TargetGone,
    TargetMoved,
    Transient,
)

log = logging.getLogger(__name__)

DELETE_WINDOW = 48 * 3600.0
# Previews are off: an announcement is the message, and a preview card of whatever link comes
# first would dominate it, change under edits, and make Telegram fetch user-supplied URLs.
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
_NO_PREVIEW_JSON = {"is_disabled": True}
# 400s that are about the chat, not the message: the target cannot receive anything.
_TARGET_GONE = (
    "chat not found",
    "not enough rights",
    "have no rights",
    "need administrator rights",
    "chat_write_forbidden",
    "bot is not a member",
    "peer_id_invalid",
)
# 400s about a photo that will be refused the same way in every chat: the image itself.
_PHOTO_REFUSED = (
    "photo_invalid_dimensions",
    "photo_save_file_invalid",
    "photo_ext_invalid",
    "photo_invalid",
    "image_process_failed",
    "file is too big",
    "request entity too large",
)
_NOT_MODIFIED = "message is not modified"
_NO_TEXT = "there is no text in the message to edit"
_NO_CAPTION = "there is no caption in the message to edit"
_ALREADY_DELETED = "message to delete not found"
_TOO_OLD = ("message can't be deleted",)
# A broadcast sends one message to many chats: its parts are rendered and encoded once.
_CACHED_MESSAGES = 32


def use_timedelta_periods() -> None:
    """Opt in to PTB's `timedelta` time periods (its next major default), unless already chosen.

    Until then PTB warns each time a period such as `RetryAfter.retry_after` is read as seconds,
    and builds its own 429 message by reading one. An operator's PTB_TIMEDELTA is left alone.
    """
    os.environ.setdefault("PTB_TIMEDELTA", "true")


def retry_seconds(error: RetryAfter) -> float:
    """RetryAfter's delay in seconds: PTB gives a timedelta (PTB_TIMEDELTA) or, before, an int."""
    value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def neutral_error(error: TelegramError) -> DeliveryError:
    """Map a python-telegram-bot error onto Herald's neutral delivery errors."""
    description = str(error).lower()
    if isinstance(error, RetryAfter):
        return RetryLater(retry_seconds(error))
    if isinstance(error, ChatMigrated):
        return TargetMoved(str(error.new_chat_id))
    if isinstance(error, Forbidden):
        return TargetGone(str(error))
    # BadRequest subclasses NetworkError, so it must be looked at first.
    if isinstance(error, BadRequest):
        if any(marker in description for marker in _TOO_OLD):
            return MessageTooOld(str(error))
        if any(marker in description for marker in _TARGET_GONE):
            return TargetGone(str(error))
        return BadMessage(str(error))
    if isinstance(error, NetworkError):
        return Transient(str(error) or type(error).__name__)
    return Transient(f"{type(error).__name__}: {error}")


def photo_refused(error: TelegramError) -> bool:
    """Whether Telegram refused a photo for what it is (it would refuse it in every chat)."""
    description = str(error).lower()
    return isinstance(error, BadRequest) and any(m in description for m in _PHOTO_REFUSED)


def chat_id(target: Target) -> int | str:
    """The chat id as PTB wants it: an int, or `@username` for public channels."""
    raw = target.external_id
    return int(raw) if raw.lstrip("-").isdigit() else raw


class TelegramPlatform:
    """Delivers neutral messages through a python-telegram-bot `Bot`."""

    def __init__(
        self, bot: Bot, config: TelegramConfig, *, file_ids: FileIds | None = None
    ) -> None:
        request = bot.request
        if not isinstance(request, AiohttpRequest):
            # Its post_json sends a body encoded once per broadcast (see _send_part).
            raise TypeError("TelegramPlatform needs a Bot built with AiohttpRequest")
        use_timedelta_periods()
        self._bot = bot
        self._request = request
        self._config = config
        self._limits = PlatformLimits(
            text_length=TEXT_LIMIT,
            caption_length=CAPTION_LIMIT,
            messages_per_second=config.broadcast_rate,
            private_chat_interval=1.0,
            group_per_minute=20,
            delete_window_seconds=DELETE_WINDOW,
            requests_in_flight=request.pool_size,
        )
        self._parts: dict[OutboundMessage, list[str]] = {}
        # Each part's sendMessage body after `"chat_id":…,` (JSON, opening brace dropped).
        self._bodies: dict[str, bytes] = {}
        self._urls: dict[str, str] = {}
        self.photos = PhotoSender(bot, paid_broadcast=config.paid_broadcast, file_ids=file_ids)

    @property
    def name(self) -> str:
        """Always "telegram"."""
        return "telegram"

    @property
    def limits(self) -> PlatformLimits:
        """Telegram's limits, with the configured broadcast rate."""
        return self._limits

    def _render(self, message: OutboundMessage) -> list[str]:
        parts = self._parts.get(message)
        if parts is None:
            if len(self._parts) >= _CACHED_MESSAGES:
                self._parts.clear()
                self._bodies.clear()
            # A photo's caption holds 1024 units; the parts after it keep that size and numbering.
            limit = CAPTION_LIMIT if message.photo is not None else TEXT_LIMIT
            parts = self._parts[message] = render_message(message, limit=limit)
        return parts

    async def send(self, target: Target, message: OutboundMessage, *, key: str) -> list[str]:
        """Send every part; on a failure midway the parts already sent are deleted again."""
        parts = self._render(message)
        if not parts and message.photo is None:
            raise BadMessage("message text is empty")
        sent: list[str] = []
        link = link_markup(message)
        try:
            if message.photo is not None:
                caption = parts[0] if parts else ""
                markup = link if len(parts) <= 1 else None
                sent.append(await self.photos.send(chat_id(target), message.photo, caption, markup))
                parts = parts[1:]
            for index, part in enumerate(parts):
                last = index == len(parts) - 1
                sent.append(await self._send_part(target, part, link if last else None))
        except TelegramError as exc:
            # Telegram has no idempotency key: a retry resends everything, so undo the half.
            if sent:
                await self._quiet_delete(target, sent)
            if message.photo is not None and not sent and photo_refused(exc):
                raise PhotoRefused(str(exc)) from exc
            raise neutral_error(exc) from exc
        return sent

    async def edit(
        self, target: Target, message_ids: list[str], message: OutboundMessage
    ) -> list[str]:
        """Edit parts in place, send extra parts or delete surplus ones; return the new ids."""
        parts = self._render(message)
        if message.photo is not None and message_ids:
            parts = parts or [""]  # the photo stays, with an empty caption
        if not parts:
            raise BadMessage("message text is empty")
        ids: list[str] = []
        link = link_markup(message)
        last = len(parts) - 1
        try:
            for index, (part, message_id) in enumerate(zip(parts, message_ids, strict=False)):
                # Telegram drops a keyboard an edit does not repeat.
                markup = link if index == last else None
                if index == 0 and message.photo is not None:
                    await self._edit_photo(target, message_id, message.photo, part, markup)
                else:
                    await self._edit_part(target, message_id, part, markup)
                ids.append(message_id)
            for index, part in enumerate(parts[len(message_ids) :], len(message_ids)):
                ids.append(await self._send_part(target, part, link if index == last else None))
        except TelegramError as exc:
            raise neutral_error(exc) from exc
        surplus = message_ids[len(parts) :]
        if surplus:
            try:
                await self.delete(target, surplus)
            except MessageTooOld:
                for message_id in surplus:
                    with contextlib.suppress(TelegramError):
                        await self._edit_part(target, message_id, "⋯")
        return ids

    async def delete(self, target: Target, message_ids: list[str]) -> None:
        """Delete every part; parts already gone count as deleted; too old → MessageTooOld."""
        too_old: MessageTooOld | None = None
        for message_id in message_ids:
            try:
                await self._delete_part(target, message_id)
            except BadRequest as exc:
                if _ALREADY_DELETED in str(exc).lower():
                    continue
                error = neutral_error(exc)
                if not isinstance(error, MessageTooOld):
                    raise error from exc
                too_old = error
            except TelegramError as exc:
                raise neutral_error(exc) from exc
        if too_old is not None:
            raise too_old

    async def _send_part(
        self, target: Target, text: str, markup: InlineKeyboardMarkup | None = None
    ) -> str:
        key = text if markup is None else f"{text}\x00{markup.inline_keyboard[0][0].url}"
        rest = self._bodies.get(key)
        if rest is None:
            rest = self._bodies[key] = _json(self._send_options(text, markup))[1:]
        body = b'{"chat_id":' + _json(chat_id(target)) + b"," + rest
        sent = await self._request.post_json(self._url("sendMessage"), body)
        return str(sent["message_id"])

    def _send_options(
        self, text: str, markup: InlineKeyboardMarkup | None = None
    ) -> dict[str, object]:
        options: dict[str, object] = {
            "text": text,
            "parse_mode": ParseMode.HTML.value,
            "link_preview_options": _NO_PREVIEW_JSON,
        }
        if markup is not None:
            options["reply_markup"] = markup.to_dict()
        if self._config.paid_broadcast:
            options["allow_paid_broadcast"] = True
        return options

    async def _edit_photo(
        self,
        target: Target,
        message_id: str,
        photo: Photo,
        caption: str,
        markup: InlineKeyboardMarkup | None = None,
    ) -> None:
        """The photo and caption together (the photo may have changed with the edit); a copy
        that cannot show media (sent as text) gets its caption or text edited instead."""
        try:
            await self.photos.edit_media(chat_id(target), message_id, photo, caption, markup)
        except BadRequest as exc:
            # "there is no media in the message to edit" (a copy sent as text), or a photo
            # Telegram will not take in place: the caption edit says what is wrong, if anything.
            log.debug("telegram: photo of message %s not replaced (%s)", message_id, exc)
            await self._edit_caption(target, message_id, caption, markup)

    async def _edit_caption(
        self,
        target: Target,
        message_id: str,
        caption: str,
        markup: InlineKeyboardMarkup | None = None,
    ) -> None:
        try:
            await self.photos.edit_caption(chat_id(target), message_id, caption, markup)
        except BadRequest as exc:
            if _NO_CAPTION not in str(exc).lower():
                raise
            # The copy went out as text: Telegram had refused the photo (see PhotoRefused).
            await self._edit_part(target, message_id, caption, markup)

    async def _edit_part(
        self,
        target: Target,
        message_id: str,
        text: str,
        markup: InlineKeyboardMarkup | None = None,
    ) -> None:
        params: dict[str, object] = {
            "chat_id": chat_id(target),
            "message_id": int(message_id),
            "text": text,
            "parse_mode": ParseMode.HTML.value,
            "link_preview_options": _NO_PREVIEW_JSON,
        }
        if markup is not None:
            params["reply_markup"] = markup.to_dict()
        try:
            await self._call("editMessageText", params)
        except BadRequest as exc:
            if _NO_TEXT in str(exc).lower():
                # A photo part (a retraction notice, or "⋯" for a surplus part): its caption.
                await self.photos.edit_caption(chat_id(target), message_id, text, markup)
            elif _NOT_MODIFIED not in str(exc).lower():
                raise

    async def _delete_part(self, target: Target, message_id: str) -> None:
        params: dict[str, object] = {"chat_id": chat_id(target), "message_id": int(message_id)}
        await self._call("deleteMessage", params)

    def _url(self, method: str) -> str:
        url = self._urls.get(method)
        if url is None:
            url = self._urls[method] = f"{self._bot.base_url}/{method}"
        return url

    async def _call(self, method: str, params: dict[str, object]) -> Any:
        """One Bot API call with PTB's errors, minus building PTB objects from the answer."""
        # Bot.send_message parses every answer into a Message graph: at broadcast rates that
        # costs more CPU than the HTTP request itself, and the delivery engine needs only the id.
        return await self._request.post_json(self._url(method), _json(params))

    async def _quiet_delete(self, target: Target, message_ids: list[str]) -> None:
        for message_id in message_ids:
            try:
                await self._delete_part(target, message_id)
            except TelegramError as exc:
                log.warning("could not undo part %s in chat %s: %s", message_id, target, exc)


def link_markup(message: OutboundMessage) -> InlineKeyboardMarkup | None:
    """The "Read on the website" button, when the message links to its page, and the
    message's action buttons (pressed, they run their command like a reply's buttons)."""
    buttons = [
        InlineKeyboardButton(b.label, callback_data=b.action) for b in message.actions if b.fits
    ]
    if message.link_url:
        label = message.link_label or message.link_url
        buttons.insert(0, InlineKeyboardButton(label, url=message.link_url))
    return InlineKeyboardMarkup([buttons]) if buttons else None


def _json(value: object) -> bytes:
    # ASCII-only, as PTB encodes: a lone surrogate in user text stays encodable.
    return json.dumps(value, separators=(",", ":")).encode()
