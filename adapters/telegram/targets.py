"""`/target add|remove @channel`: resolving the channel's name to a chat Herald can post in."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from telegram import Bot, ChatMember, ChatMemberAdministrator, ChatMemberRestricted
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.commands.adapter_ports import ChannelLookupFailed
from bot.domain import ChatKind, ChatRef

log = logging.getLogger(__name__)

_ACTIONS = ("add", "remove")
# @name, t.me/name or https://t.me/name (public chats), or a numeric chat id.
_LINK = re.compile(r"^(?:https?://)?(?:t\.me|telegram\.me)/([A-Za-z0-9_]{4,32})/?$")
_USERNAME = re.compile(r"^@[A-Za-z0-9_]{4,32}$")
_CHAT_ID = re.compile(r"^-?\d{1,20}$")


def target_words(text: str) -> tuple[str, str] | None:
    """`(action, @channel)` of `/target add|remove @channel [tags]`, or None if it has none."""
    words = text.split(maxsplit=3)
    if len(words) < 3 or words[0].lower() != "/target" or words[1].lower() not in _ACTIONS:
        return None
    return words[1].lower(), words[2]


def chat_identifier(name: str) -> str | int | None:
    """What getChat accepts for `name`: `@username` or a numeric id; None if it is neither."""
    link = _LINK.match(name)
    if link is not None:
        return "@" + link.group(1)
    if _USERNAME.match(name):
        return name
    if _CHAT_ID.match(name):
        return int(name)
    return None


async def resolve_target(bot: Bot, name: str, *, to_post: bool = True) -> ChatRef | None:
    """The group or channel `name` names, if Herald can post there (or, to remove, is known)."""
    identifier = chat_identifier(name)
    if identifier is None:
        return None
    try:
        chat = await bot.get_chat(identifier)
        if chat.type == ChatType.PRIVATE:
            return None
        member = await bot.get_chat_member(chat.id, bot.id)
    except (BadRequest, Forbidden) as exc:
        # Unknown name, or a chat the bot is not in: the core answers "I cannot see it".
        log.info("telegram: /target %s not resolved: %s", name[:40], exc)
        return None
    kind = ChatKind.CHANNEL if chat.type == ChatType.CHANNEL else ChatKind.GROUP
    # Removing needs no rights: a channel that demoted the bot must still be removable.
    if to_post and not _can_post(kind, member):
        log.info("telegram: /target %s: the bot cannot post there (%s)", name[:40], member.status)
        return None
    return ChatRef("telegram", str(chat.id), kind, chat.title or chat.username)


@dataclass(frozen=True, slots=True)
class TelegramChannels:
    """`/target`'s channel lookup (a bot.commands ChannelDirectory) through getChat."""

    bot: Bot

    async def find(self, name: str, *, to_post: bool) -> ChatRef | None:
        """The group or channel `name` names, if the bot can post there (or, to remove, see it)."""
        try:
            return await resolve_target(self.bot, name, to_post=to_post)
        except TelegramError as exc:  # BadRequest and Forbidden already answered None
            log.warning("telegram: /target %s: the lookup failed: %s", name[:40], exc)
            raise ChannelLookupFailed(name) from exc


def _can_post(kind: ChatKind, member: ChatMember) -> bool:
    """Channels: an admin allowed to post. Groups: any member who may send messages."""
    status = member.status
    if status == ChatMemberStatus.OWNER:
        return True
    if status == ChatMemberStatus.ADMINISTRATOR:
        if kind is ChatKind.CHANNEL and isinstance(member, ChatMemberAdministrator):
            return member.can_post_messages is not False
        return True
    if kind is ChatKind.CHANNEL:
        return False
    if status == ChatMemberStatus.MEMBER:
        return True
    return (
        isinstance(member, ChatMemberRestricted) and member.is_member and member.can_send_messages
    )
