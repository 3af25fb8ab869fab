"""Telegram updates → neutral Commands and chat events for the core; replies rendered back."""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from telegram import CallbackQuery, Chat, Message, PhotoSize, Update, User
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import BadRequest, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    CallbackContext,
    CallbackQueryHandler,
    ChatMemberHandler,
    MessageHandler,
    filters,
)

from adapters.telegram.downloads import TelegramPhoto
from adapters.telegram.entities import styles_from_entities
from adapters.telegram.ordering import arrival_time, sleep_outside_slot
from adapters.telegram.platform import NO_PREVIEW, retry_seconds
from adapters.telegram.render import keyboard, render_reply
from adapters.telegram.rendered import RenderedReplies
from adapters.telegram.targets import TelegramChannels, target_words
from bot.commands.types import Command
from bot.domain import ChatKind, ChatRef
from bot.formatting import Styles
from bot.i18n import N_, normalize_language, translate
from bot.ports import Core, FileIds
from bot.replies import Reply
from bot.runs import shift

log = logging.getLogger(__name__)

GENERIC_ERROR = N_("Something went wrong; the error was logged.")
# The commands a photo can carry (in its caption, or replied to).
_PHOTO_COMMAND = re.compile(r"^\s*/(post|draft)(@\w+)?(\s|$)", re.IGNORECASE)
ALERT_LIMIT = 200
# A reply that hits flood control waits this long at most before one more try.
REPLY_RETRY_CAP = 30.0
REPLY_ATTEMPTS = 3
_JOINED = {ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER}
_ADMIN = {ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER}
Context = CallbackContext[Any, Any, Any, Any]


def chat_kind(chat: Chat) -> ChatKind:
    """Telegram's chat type as Herald's kind (a supergroup is a group)."""
    if chat.type == ChatType.PRIVATE:
        return ChatKind.PRIVATE
    if chat.type == ChatType.CHANNEL:
        return ChatKind.CHANNEL
    return ChatKind.GROUP


def chat_ref(chat: Chat) -> ChatRef:
    """The chat as the core knows chats."""
    title = chat.title or chat.full_name or chat.username
    return ChatRef("telegram", str(chat.id), chat_kind(chat), title)


def user_language(user: User | None) -> str:
    """The sender's Telegram language (`language_code`), English when unknown or unsupported."""
    return normalize_language(user.language_code if user is not None else None) or "en"


def command_text(text: str, bot_username: str | None) -> str | None:
    """`/cmd@bot args` → `/cmd args`; None when the command is addressed to another bot."""
    head = text.split(maxsplit=1)[0] if text.strip() else ""
    if not head.startswith("/") or len(head) < 2:
        return None
    name, _, addressee = head.partition("@")
    if addressee and (bot_username is None or addressee.lower() != bot_username.lower()):
        return None
    return name + text[text.index(head) + len(head) :]


class Conversation:
    """The handlers: commands, buttons, membership changes and migrations."""

    def __init__(
        self, core: Core, *, admin_ttl: float = 60.0, file_ids: FileIds | None = None
    ) -> None:
        self._core = core
        self._file_ids = file_ids
        self._admin_ttl = admin_ttl
        self._admins: dict[tuple[int, int], tuple[bool, float]] = {}
        self._rendered = RenderedReplies()
        self.bot_username: str | None = None

    def register(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Add the handlers; everything else (plain text, stickers, edits) is ignored."""
        messages = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
        application.add_handler(MessageHandler(messages & filters.COMMAND, self.on_command))
        # CommandHandler and filters.COMMAND look at text only: a photo's caption is apart.
        photo_posts = messages & filters.PHOTO & filters.CaptionRegex(_PHOTO_COMMAND)
        application.add_handler(MessageHandler(photo_posts, self.on_photo_command))
        application.add_handler(CallbackQueryHandler(self.on_button))
        application.add_handler(
            ChatMemberHandler(self.on_membership, ChatMemberHandler.MY_CHAT_MEMBER)
        )
        application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, self.on_migrate))
        application.add_error_handler(self.on_error)

    async def on_command(self, update: Update, context: Context) -> None:
        """A `/command` in a private chat, a group or a channel post."""
        message = update.effective_message
        chat = update.effective_chat
        if message is None or chat is None or not message.text:
            return
        text = command_text(message.text, self.bot_username or context.bot.username)
        if text is None:
            return
        replied = message.reply_to_message
        # `/post` replying to a photo posts that photo, with the command's text or else the
        # photo's caption (a caption holds 1024 characters; the reply's text may be longer).
        carries = replied is not None and replied.photo and _PHOTO_COMMAND.match(text)
        await self._run(update, context, text, replied.photo if carries and replied else ())

    async def on_photo_command(self, update: Update, context: Context) -> None:
        """A photo whose caption is `/post ...` or `/draft ...`."""
        message = update.effective_message
        if message is None or not message.caption or not message.photo:
            return
        text = command_text(message.caption, self.bot_username or context.bot.username)
        if text is not None:
            await self._run(update, context, text, message.photo)

    async def _run(
        self, update: Update, context: Context, text: str, photo: Sequence[PhotoSize]
    ) -> None:
        """Run one command (the core fetches its photo only once it may run); reply."""
        message = update.effective_message
        chat = update.effective_chat
        if message is None or chat is None:
            return
        try:
            command = await self._command(context, message, chat, text, from_button=False)
            # `/target add|remove @channel` looks the channel up, in a private chat only.
            private_target = chat.type == ChatType.PRIVATE and target_words(text) is not None
            command = replace(
                command,
                photo=TelegramPhoto(context.bot, tuple(photo), self._file_ids) if photo else None,
                channels=TelegramChannels(context.bot) if private_target else None,
            )
            reply = await self._core.handle(command)
            if reply is not None:
                await self.send_reply(context, chat.id, reply, quote=_quote(message, chat))
        except TelegramError as error:
            # Expected: the chat blocked the bot, the network timed out, Telegram refused.
            log.warning("telegram: answering %r in chat %s failed: %s", text[:40], chat.id, error)
        except Exception:
            log.exception("telegram: command %r failed in chat %s", text[:40], chat.id)
            with contextlib.suppress(TelegramError):
                apology = translate(user_language(message.from_user), GENERIC_ERROR)
                await context.bot.send_message(chat.id, apology)

    async def on_button(self, update: Update, context: Context) -> None:
        """A pressed inline button: run its action, answer the query, edit the message."""
        query = update.callback_query
        if query is None:
            return
        answered = False
        try:
            message = query.message if isinstance(query.message, Message) else None
            if not query.data or message is None:
                return
            command = await self._command(
                context, message, message.chat, query.data, from_button=True, user=query
            )
            reply = await self._core.handle(command)
            if reply is not None and reply.ephemeral and len(reply.plain()) <= ALERT_LIMIT:
                await query.answer(reply.plain(), show_alert=True)
                answered = True
                return
            await query.answer()
            answered = True
            if reply is not None:
                await self._show_in_place(context, message, reply)
        except TelegramError as error:
            log.warning("telegram: answering button %r failed: %s", (query.data or "")[:40], error)
        except Exception:
            log.exception("telegram: button %r failed", (query.data or "")[:40])
            if not answered:
                with contextlib.suppress(TelegramError):
                    await query.answer(translate(user_language(query.from_user), GENERIC_ERROR))
                    answered = True
        finally:
            if not answered:
                with contextlib.suppress(TelegramError):
                    await query.answer()

    async def on_membership(self, update: Update, context: Context) -> None:
        """The bot was added, promoted, demoted, removed or blocked."""
        change = update.my_chat_member
        if change is None:
            return
        ref = chat_ref(change.chat)
        member = change.new_chat_member
        status = member.status
        if ref.kind is ChatKind.CHANNEL:
            joined = status in _ADMIN
        else:
            joined = status in _JOINED or (
                status == ChatMemberStatus.RESTRICTED and bool(getattr(member, "is_member", False))
            )
        try:
            if joined:
                await self._core.chat_joined(ref)
            else:
                await self._core.chat_left(ref, _left_reason(ref.kind, status))
        except Exception:
            log.exception("telegram: membership change in chat %s not recorded", ref.external_id)

    async def on_migrate(self, update: Update, context: Context) -> None:
        """A group became a supergroup: the core rewrites the chat's id."""
        message = update.effective_message
        if message is None or message.migrate_to_chat_id is None:
            return  # the twin service message in the new supergroup says the same
        old = ChatRef("telegram", str(message.chat.id), ChatKind.GROUP, message.chat.title)
        try:
            await self._core.chat_migrated(old, str(message.migrate_to_chat_id))
        except Exception:
            log.exception("telegram: migration of chat %s not recorded", message.chat.id)

    async def on_error(self, update: object, context: Context) -> None:
        """Errors PTB caught outside our handlers: logged, never shown in chat."""
        log.error("telegram: error while handling an update: %r", context.error)

    async def send_reply(
        self, context: Context, chat_id: int, reply: Reply, *, quote: int | None = None
    ) -> None:
        """Send a reply's parts; buttons go under the last part."""
        parts, markup = self._rendered.render(reply)
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            await _send_patiently(
                context, chat_id, part, markup if last else None, quote if i == 0 else None
            )

    async def _show_in_place(self, context: Context, message: Message, reply: Reply) -> None:
        parts = render_reply(reply)
        if not parts:
            return
        markup = keyboard(reply)
        try:
            await context.bot.edit_message_text(
                parts[0],
                chat_id=message.chat.id,
                message_id=message.message_id,
                parse_mode=ParseMode.HTML,
                link_preview_options=NO_PREVIEW,
                reply_markup=markup if len(parts) == 1 else None,
            )
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return
            log.info("telegram: could not edit message %s (%s); sending anew", message.id, exc)
            await self.send_reply(context, message.chat.id, reply)
            return
        for i, part in enumerate(parts[1:], 2):
            await _send_patiently(
                context, message.chat.id, part, markup if i == len(parts) else None, None
            )

    async def _command(
        self,
        context: Context,
        message: Message,
        chat: Chat,
        text: str,
        *,
        from_button: bool,
        user: CallbackQuery | None = None,
    ) -> Command:
        sender = user.from_user if user is not None else message.from_user
        kind = chat_kind(chat)
        if kind is ChatKind.PRIVATE:
            is_admin = True  # a private chat is yours
        elif user is None and kind is ChatKind.CHANNEL:
            is_admin = True  # only a channel's admins can post in it
        elif user is None and message.sender_chat is not None and message.sender_chat.id == chat.id:
            is_admin = True  # an anonymous group admin
        elif sender is None:
            is_admin = False
        else:
            # Group members, and anyone pressing a button under a channel post, are checked.
            is_admin = await self._is_admin(context, chat.id, sender.id)
        replied = message.reply_to_message if user is None else None
        styles: Styles = ()
        # A photo's command is its caption, formatted by caption entities.
        source = (message.text or message.caption) if user is None else None
        if source:
            # `text` keeps the message's tail as it was (only `@bot` is dropped from the head).
            entities = message.entities if message.text else message.caption_entities
            found = styles_from_entities(source, entities)
            styles = shift(found, len(text) - len(source))
        return Command(
            platform="telegram",
            chat_id=str(chat.id),
            chat_kind=kind,
            user_id=str(sender.id) if sender is not None else str(chat.id),
            text=text,
            chat_title=chat_ref(chat).title,
            user_name=(sender.username or sender.full_name) if sender is not None else chat.title,
            is_chat_admin=is_admin,
            language_hint=sender.language_code if sender is not None else None,
            reply_to_text=(replied.text or replied.caption) if replied is not None else None,
            styles=styles,
            reply_to_styles=_replied_styles(replied),
            from_button=from_button,
            received_at=arrival_time(),
        )

    async def _is_admin(self, context: Context, chat_id: int, user_id: int) -> bool:
        now = time.monotonic()
        cached = self._admins.get((chat_id, user_id))
        if cached is not None and cached[1] > now:
            return cached[0]
        try:
            member = await context.bot.get_chat_member(chat_id, user_id)
        except TelegramError as exc:
            log.warning("telegram: admin check in chat %s failed: %s", chat_id, exc)
            return False
        is_admin = member.status in _ADMIN
        if len(self._admins) > 10_000:
            self._admins = {k: v for k, v in self._admins.items() if v[1] > now}
        self._admins[(chat_id, user_id)] = (is_admin, now + self._admin_ttl)
        return is_admin


def _replied_styles(replied: Message | None) -> Styles:
    """The formatting of the message a command replies to (its text, or else its caption)."""
    if replied is None:
        return ()
    if replied.text:
        return styles_from_entities(replied.text, replied.entities)
    return styles_from_entities(replied.caption or "", replied.caption_entities)


def _quote(message: Message, chat: Chat) -> int | None:
    """In groups and channels an answer quotes the command; in private chats it need not."""
    return message.message_id if chat.type != ChatType.PRIVATE else None


def _left_reason(kind: ChatKind, status: str) -> str:
    if kind is ChatKind.PRIVATE:
        return "blocked by the user" if status == ChatMemberStatus.BANNED else "left"
    if kind is ChatKind.CHANNEL:
        if status in {ChatMemberStatus.MEMBER, ChatMemberStatus.RESTRICTED}:
            return "no longer an admin of the channel"
        return "removed from the channel"
    return "removed from the group" if status == ChatMemberStatus.BANNED else "left the group"


async def _send_patiently(
    context: Context, chat_id: int, text: str, markup: Any, quote: int | None
) -> None:
    """Send one part; on flood control wait the asked time (if short) and try again.

    The wait holds the chat's turn (its later updates must not overtake this reply) but not
    a running slot: other chats' updates go on meanwhile.
    """
    for attempt in range(1, REPLY_ATTEMPTS + 1):
        try:
            await context.bot.send_message(
                chat_id,
                text,
                parse_mode=ParseMode.HTML,
                link_preview_options=NO_PREVIEW,
                reply_markup=markup,
                reply_to_message_id=quote,
                allow_sending_without_reply=True,
            )
            return
        except RetryAfter as exc:
            delay = retry_seconds(exc)
            if attempt == REPLY_ATTEMPTS or delay > REPLY_RETRY_CAP:
                raise
            await sleep_outside_slot(delay)
