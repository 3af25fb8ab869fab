"""The world a fake Discord keeps (guilds, channels, messages, interactions) and its JSON shapes."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

JSON = dict[str, Any]

TEXT = 0
DM = 1
ANNOUNCEMENT = 5

EPHEMERAL = 1 << 6
LOADING = 1 << 7

MANAGE_CHANNELS = 1 << 4
SEND_MESSAGES = 1 << 11
VIEW_CHANNEL = 1 << 10
EMBED_LINKS = 1 << 14
MEMBER_PERMISSIONS = VIEW_CHANNEL | SEND_MESSAGES
BOT_PERMISSIONS = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS
ADMIN_PERMISSIONS = MEMBER_PERMISSIONS | MANAGE_CHANNELS

_ids = itertools.count(1_200_000_000_000_000_000)


def new_id() -> int:
    """A fresh snowflake-sized id, unique within the process."""
    return next(_ids)


def iso(when: datetime) -> str:
    """Discord's timestamp format."""
    return when.isoformat()


def now() -> datetime:
    """The fake's clock (real UTC time)."""
    return datetime.now(UTC)


@dataclass
class FakeUser:
    """A Discord user."""

    id: int
    name: str
    bot: bool = False

    def payload(self) -> JSON:
        """The user object."""
        return {
            "id": str(self.id),
            "username": self.name,
            "global_name": self.name,
            "discriminator": "0",
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }


@dataclass
class FakeChannel:
    """A guild text/announcement channel or a DM channel."""

    id: int
    name: str
    type: int
    guild_id: int | None = None
    recipient: FakeUser | None = None
    # Fault states: the bot lost access (403) or the channel is gone (404).
    forbidden: bool = False
    deleted: bool = False
    # What the bot may do here (interactions carry it as app_permissions).
    bot_permissions: int = BOT_PERMISSIONS

    def payload(self) -> JSON:
        """The channel object."""
        if self.type == DM:
            recipients = [self.recipient.payload()] if self.recipient else []
            return {
                "id": str(self.id),
                "type": DM,
                "recipients": recipients,
                "last_message_id": None,
            }
        return {
            "id": str(self.id),
            "type": self.type,
            "name": self.name,
            "guild_id": str(self.guild_id),
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
        }


@dataclass
class FakeGuild:
    """A guild with channels, roles and members."""

    id: int
    name: str
    owner_id: int
    channels: list[FakeChannel] = field(default_factory=list)
    members: list[FakeUser] = field(default_factory=list)

    def channel(self, name: str) -> FakeChannel:
        """The channel called `name`."""
        return next(c for c in self.channels if c.name == name)

    def payload(self) -> JSON:
        """The GUILD_CREATE payload."""
        everyone = {
            "id": str(self.id),
            "name": "@everyone",
            "permissions": str(MEMBER_PERMISSIONS),
            "position": 0,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "owner_id": str(self.owner_id),
            "unavailable": False,
            "member_count": len(self.members),
            "large": False,
            "features": [],
            "emojis": [],
            "stickers": [],
            "roles": [everyone],
            "channels": [c.payload() for c in self.channels],
            "threads": [],
            "members": [member_payload(m, MEMBER_PERMISSIONS) for m in self.members],
            "voice_states": [],
            "presences": [],
            "preferred_locale": "en-US",
            "joined_at": iso(now()),
            "premium_tier": 0,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "system_channel_flags": 0,
        }


def member_payload(user: FakeUser, permissions: int) -> JSON:
    """A guild member object (with the channel permissions interactions carry)."""
    return {
        "user": user.payload(),
        "roles": [],
        "joined_at": iso(now()),
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "nick": None,
        "permissions": str(permissions),
    }


@dataclass
class FakeMessage:
    """A message as the fake stores it, with its whole history."""

    id: int
    channel_id: int
    author: FakeUser
    content: str = ""
    embeds: list[JSON] = field(default_factory=list)
    components: list[JSON] = field(default_factory=list)
    allowed_mentions: JSON | None = None
    nonce: str | None = None
    flags: int = 0
    created_at: datetime = field(default_factory=now)
    edited_at: datetime | None = None
    edits: int = 0
    deleted: bool = False
    crossposted: bool = False
    interaction_id: int | None = None
    guild_id: int | None = None
    attachments: list[JSON] = field(default_factory=list)

    @property
    def ephemeral(self) -> bool:
        """Whether only the invoking user sees it."""
        return bool(self.flags & EPHEMERAL)

    def apply(self, body: JSON) -> None:
        """Apply a create/edit body (only the keys present)."""
        if "content" in body:
            self.content = body["content"] or ""
        if "embeds" in body:
            self.embeds = list(body["embeds"] or [])
        if "components" in body:
            self.components = list(body["components"] or [])
        if "allowed_mentions" in body:
            self.allowed_mentions = body["allowed_mentions"]
        if "flags" in body and body["flags"] is not None:
            self.flags = (self.flags & ~LOADING) | int(body["flags"])
        if "attachments" in body or "_files" in body:
            # Without `attachments` an edit keeps them; with it, only the ids it lists stay.
            kept = self.attachments
            if "attachments" in body:
                wanted = {str(a.get("id")) for a in body["attachments"] or []}
                kept = [a for a in kept if a["id"] in wanted]
            self.attachments = kept + list(body.get("_files") or [])

    def text(self) -> str:
        """Content and every embed's title/description/footer, for assertions."""
        parts = [self.content]
        for embed in self.embeds:
            parts.append(embed.get("title", ""))
            parts.append(embed.get("description", ""))
            parts.append(embed.get("footer", {}).get("text", ""))
        return "\n".join(p for p in parts if p)

    def button_ids(self) -> list[str]:
        """Every button custom_id in the message's components."""
        return [
            item["custom_id"]
            for row in self.components
            for item in row.get("components", [])
            if "custom_id" in item
        ]

    def payload(self) -> JSON:
        """The message object."""
        data: JSON = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "type": 0 if self.interaction_id is None else 20,
            "content": self.content,
            "author": self.author.payload(),
            "attachments": self.attachments,
            "embeds": self.embeds,
            "mentions": [],
            "mention_roles": [],
            "pinned": False,
            "mention_everyone": False,
            "tts": False,
            "timestamp": iso(self.created_at),
            "edited_timestamp": iso(self.edited_at) if self.edited_at else None,
            "flags": self.flags,
            "components": self.components,
        }
        if self.nonce is not None:
            data["nonce"] = self.nonce
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        return data


@dataclass
class FakeInteraction:
    """An interaction the test dispatched, and how the client answered it."""

    id: int
    token: str
    type: int
    payload: JSON
    channel_id: int
    created: float
    callbacks: list[JSON] = field(default_factory=list)
    callback_times: list[float] = field(default_factory=list)
    original_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    source_message_id: int | None = None

    @property
    def answered(self) -> bool:
        """Whether the client posted a callback."""
        return bool(self.callbacks)

    @property
    def callback_type(self) -> int | None:
        """The type of the first callback (4 message, 5 deferred, 7 update, 8 choices, 9 modal)."""
        return self.callbacks[0]["type"] if self.callbacks else None

    def choices(self) -> list[JSON]:
        """The autocomplete choices the client answered."""
        return list(self.callbacks[0]["data"]["choices"]) if self.callbacks else []

    def modal(self) -> JSON:
        """The modal the client opened."""
        assert self.callback_type == 9, self.callbacks
        data: JSON = self.callbacks[0]["data"]
        return data
