"""Platform-neutral domain types shared by services, storage and adapters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Generic, TypeVar

from bot.formatting import Photo, Styles

T = TypeVar("T")


class PlatformName(StrEnum):
    """The platforms Herald talks to."""

    TELEGRAM = "telegram"
    DISCORD = "discord"
    CONSOLE = "console"


class ChatKind(StrEnum):
    """What kind of conversation a chat is; decides rate limits and admin rules."""

    PRIVATE = "private"
    GROUP = "group"
    CHANNEL = "channel"
    GUILD_CHANNEL = "guild_channel"
    DM = "dm"
    CONSOLE = "console"


class Status(StrEnum):
    """Life cycle of an announcement."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    RETRACTED = "retracted"


# The subscription key that stands for every announcement (no tag).
EVERYTHING = ""
# Search totals are exact up to this many and capped beyond it: a total equal to the cap
# means "at least this many" (counting every match of a common word costs a table pass).
SEARCH_TOTAL_CAP = 300


class NotFound(LookupError):
    """No announcement with that id."""


class WrongState(ValueError):
    """The announcement's status does not allow that change."""

    def __init__(self, status: Status) -> None:
        super().__init__(status.value)
        self.status = status


class DeliveryAction(StrEnum):
    """What a delivery row asks the platform to do."""

    SEND = "send"
    EDIT = "edit"
    DELETE = "delete"


class DeliveryState(StrEnum):
    """Where a delivery row is in the outbox."""

    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class Announcement:
    """One announcement of the society, as stored."""

    id: int
    title: str
    body: str
    status: Status
    revision: int
    created_at: datetime
    updated_at: datetime
    tags: tuple[str, ...] = ()
    category: str | None = None
    language: str | None = None
    signature: str | None = None
    source_url: str | None = None
    source_key: str | None = None
    publish_at: datetime | None = None
    published_at: datetime | None = None
    views: int = 0
    created_by: str | None = None
    body_styles: Styles = ()
    # Whether a photo is stored with it (the bytes are loaded only to send it).
    has_photo: bool = False
    # Views of its web page (filled in where one announcement is shown, not in listings).
    web_views: int = 0


@dataclass(frozen=True, slots=True)
class NewAnnouncement:
    """What an author provides to create an announcement."""

    title: str
    body: str
    tags: tuple[str, ...] = ()
    category: str | None = None
    language: str | None = None
    signature: str | None = None
    source_url: str | None = None
    source_key: str | None = None
    views: int = 0
    created_by: str | None = None
    body_styles: Styles = ()
    photo: Photo | None = None
    # An imported post's hash of title, date, author and text (bot.importers.identity).
    content_key: str | None = None


@dataclass(frozen=True, slots=True)
class PublishResult:
    """An announcement after a change, and how many outbox rows the change wrote."""

    announcement: Announcement
    deliveries: int


@dataclass(frozen=True, slots=True)
class TagCount:
    """A tag with how many published announcements carry it."""

    key: str
    name: str
    count: int


@dataclass(frozen=True, slots=True)
class Chat:
    """A conversation on a platform: a place commands come from and announcements go to."""

    id: int
    platform: str
    external_id: str
    kind: ChatKind
    title: str | None = None
    language: str | None = None
    active: bool = True
    inactive_reason: str | None = None


@dataclass(frozen=True, slots=True)
class ChatRef:
    """Identifies a chat by platform and the platform's own id (64-bit safe as text)."""

    platform: str
    external_id: str
    kind: ChatKind
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Subscription:
    """A chat's subscription: to everything (`tag_key` None) or to one tag."""

    chat_id: int
    tag_key: str | None
    tag_name: str | None = None


@dataclass(frozen=True, slots=True)
class Anniversary:
    """A date the society keeps and announces every year."""

    id: int
    title: str
    month: int
    day: int
    year: int | None = None
    time_of_day: str | None = None
    timezone: str | None = None
    text: str | None = None
    announcement_id: int | None = None
    tags: tuple[str, ...] = ()
    reminder_days: tuple[int, ...] | None = None
    created_by: str | None = None


@dataclass(frozen=True, slots=True)
class AnniversaryFields:
    """What an admin sets on an anniversary."""

    title: str
    month: int
    day: int
    year: int | None = None
    time_of_day: str | None = None
    timezone: str | None = None
    text: str | None = None
    announcement_id: int | None = None
    tags: tuple[str, ...] = ()
    reminder_days: tuple[int, ...] | None = None


@dataclass(frozen=True, slots=True)
class KeptAnniversary:
    """An anniversary with the instant it was added (nothing before it is due)."""

    anniversary: Anniversary
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a longer listing."""

    items: tuple[T, ...]
    page: int
    pages: int
    total: int


@dataclass(frozen=True, slots=True)
class Delivery:
    """One outbox row: send, edit or delete one message in one chat."""

    id: int
    chat_id: int
    platform: str
    external_id: str
    chat_kind: ChatKind
    action: DeliveryAction
    state: DeliveryState
    attempts: int
    due_at: datetime
    announcement_id: int | None = None
    anniversary_occurrence_id: int | None = None
    message_ids: tuple[str, ...] = ()
    error: str | None = None
    payload: dict[str, str] = field(default_factory=dict)
