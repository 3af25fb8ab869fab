"""The seams between the core and the outside: Platform and its errors, Core, Clock, state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol

from bot.commands.types import Command
from bot.domain import ChatKind, ChatRef
from bot.formatting import Photo, Styles
from bot.replies import Button, Reply


class MessageKind(StrEnum):
    """What an outbound message is, so adapters can style it."""

    ANNOUNCEMENT = "announcement"
    ANNIVERSARY = "anniversary"
    REMINDER = "reminder"
    RETRACTION = "retraction"


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A neutral message for many chats; each adapter renders it under its own rules."""

    kind: MessageKind
    title: str
    body: str
    tags: tuple[str, ...] = ()
    signature: str | None = None
    category: str | None = None
    announcement_id: int | None = None
    published_at: datetime | None = None
    language: str = "en"
    body_styles: Styles = ()
    photo: Photo | None = None
    # "Read on the website": the announcement's page when HERALD_PUBLIC_URL is set.
    link_url: str | None = None
    link_label: str = ""
    # Buttons that run a command when pressed (an admin's notice: "Publish" a feed's draft).
    actions: tuple[Button, ...] = ()


@dataclass(frozen=True, slots=True)
class Target:
    """Where a delivery goes: the platform's own chat id and the chat's kind."""

    external_id: str
    kind: ChatKind


@dataclass(frozen=True, slots=True)
class PlatformLimits:
    """What the platform allows; the delivery engine paces itself by these."""

    text_length: int
    caption_length: int
    messages_per_second: float
    private_chat_interval: float
    group_per_minute: int
    delete_window_seconds: float | None = None
    # Requests the platform's client carries at once (its HTTP connection pool): the delivery
    # engine runs this many senders, since more would only wait for a connection. None: no
    # pool of its own (the engine's default applies).
    requests_in_flight: int | None = None


class DeliveryError(Exception):
    """Base of the neutral errors a Platform raises; adapters map their errors onto these."""


class RetryLater(DeliveryError):
    """The platform asked us to wait `seconds` before trying again (not a failure)."""

    def __init__(self, seconds: float, *, is_global: bool = False) -> None:
        super().__init__(f"retry after {seconds:g}s")
        self.seconds = seconds
        self.is_global = is_global


class TargetGone(DeliveryError):
    """The chat can no longer receive messages (blocked, kicked, deleted, no access)."""


class TargetMoved(DeliveryError):
    """The chat now lives under another id (Telegram group upgraded to a supergroup)."""

    def __init__(self, new_external_id: str) -> None:
        super().__init__(f"chat moved to {new_external_id}")
        self.new_external_id = new_external_id


class BadMessage(DeliveryError):
    """The platform rejected the message itself; retrying the same message will not help."""


class PhotoRefused(BadMessage):
    """The platform refuses the photo itself (its dimensions, say): every chat would refuse it."""


class Transient(DeliveryError):
    """A timeout, a network error or a 5xx: retry with backoff."""


class MessageTooOld(DeliveryError):
    """The message can no longer be deleted (Telegram: older than 48 hours)."""


class Platform(Protocol):
    """What the delivery engine needs from an adapter."""

    @property
    def name(self) -> str:
        """The platform's name, as stored on chats ("telegram", "discord", "console")."""
        ...

    @property
    def limits(self) -> PlatformLimits:
        """The platform's limits."""
        ...

    async def send(self, target: Target, message: OutboundMessage, *, key: str) -> list[str]:
        """Send a message (maybe in parts); return its message ids; `key` deduplicates resends."""
        ...

    async def edit(
        self, target: Target, message_ids: list[str], message: OutboundMessage
    ) -> list[str]:
        """Make the sent parts show `message`, adding or deleting parts; return the new ids."""
        ...

    async def delete(self, target: Target, message_ids: list[str]) -> None:
        """Delete the sent parts."""
        ...


class Clock(Protocol):
    """Tells the time in UTC; tests move it by hand."""

    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """The current time in UTC."""
        return datetime.now(UTC)


class ManualClock:
    """A clock that tests set and advance."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        """The time the test has set."""
        return self._now

    def set(self, when: datetime) -> None:
        """Jump to `when` (aware)."""
        if when.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = when.astimezone(UTC)

    def advance(self, seconds: float) -> None:
        """Move forward by `seconds`."""
        from datetime import timedelta

        self._now += timedelta(seconds=seconds)


@dataclass(frozen=True, slots=True)
class CommandInfo:
    """A command as menus show it (Telegram setMyCommands, Discord slash commands)."""

    name: str
    description: str
    admin_only: bool = False


class Core(Protocol):
    """What an adapter may ask of the core; adapters never touch storage."""

    async def handle(self, command: Command) -> Reply | None:
        """Answer one command; None means stay silent."""
        ...

    async def refusal(self, command: Command) -> Reply | None:
        """The answer refusing `command` (not an admin, unknown), or None; runs nothing.

        Only for a platform that must show something before the command itself arrives
        (Discord opens the post form first); everything else is one handle() call.
        """
        ...

    async def chat_joined(self, chat: ChatRef) -> None:
        """The bot was added to (or unblocked in) a chat: record or reactivate it."""
        ...

    async def chat_left(self, chat: ChatRef, reason: str) -> None:
        """The bot was removed or blocked: deactivate the chat, keep its settings."""
        ...

    async def chat_migrated(self, chat: ChatRef, new_external_id: str) -> None:
        """The chat now has another id (group upgraded to supergroup): rewrite it."""
        ...

    def commands(self, language: str) -> list[CommandInfo]:
        """Every command with its localized description."""
        ...

    async def tag_names(self, prefix: str, limit: int = 25) -> list[str]:
        """Tag names starting with (or containing) `prefix`, most used first, for autocomplete."""
        ...


class AdapterState(Protocol):
    """Small values an adapter keeps between runs (the hash of the command menu it published)."""

    async def get(self, key: str) -> str | None:
        """The value under `key`, or None."""
        ...

    async def set(self, key: str, value: str) -> None:
        """Store `value` under `key`."""
        ...


class FileIds(Protocol):
    """The ids platforms gave files uploaded to them, by platform and the file's sha256 (hex).

    Platform-specific (a Telegram `file_id`), so kept beside the core's photos, not in them:
    a photo uploaded once is sent by its id to every later chat, in every process, after a
    restart too.
    """

    async def get(self, platform: str, sha256: str) -> str | None:
        """The id `platform` knows these bytes by, or None."""
        ...

    async def put(self, platform: str, sha256: str, file_id: str) -> None:
        """Remember (or replace) the id `platform` gave these bytes."""
        ...

    async def forget(self, platform: str, sha256: str, file_id: str) -> None:
        """Drop `file_id`, which the platform no longer accepts, unless replaced meanwhile."""
        ...


class Adapter(Platform, Protocol):
    """A running platform connection: receives commands, delivers messages."""

    async def start(self) -> None:
        """Connect and begin receiving; must return once running (work continues in tasks)."""
        ...

    async def start_sending(self) -> None:
        """Connect only to send, edit and delete (`herald run --role worker`); never receive."""
        ...

    async def stop(self) -> None:
        """Disconnect cleanly."""
        ...
