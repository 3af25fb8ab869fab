"""SQLAlchemy models: the tables behind the announcement store and the outbox."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.limits import (
    MAX_CATEGORY_LENGTH,
    MAX_CONTENT_KEY_LENGTH,
    MAX_CREATED_BY_LENGTH,
    MAX_LANGUAGE_LENGTH,
    MAX_SOURCE_KEY_LENGTH,
)
from storage.types import UTCDateTime

# SQLite's INTEGER PRIMARY KEY is the 64-bit rowid; PostgreSQL gets BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """Base of every Herald table."""


class AnnouncementRow(Base):
    """An announcement; `revision` grows with every edit."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(MAX_CATEGORY_LENGTH))
    language: Mapped[str | None] = mapped_column(String(MAX_LANGUAGE_LENGTH))
    signature: Mapped[str | None] = mapped_column(Text)
    # JSON list of the body's style runs (bot.formatting); NULL for plain text.
    body_styles: Mapped[str | None] = mapped_column(Text)
    source_url: Mapped[str | None] = mapped_column(Text)
    # An imported post's identity (bot.importers.identity): its address, and its content.
    source_key: Mapped[str | None] = mapped_column(String(MAX_SOURCE_KEY_LENGTH), unique=True)
    content_key: Mapped[str | None] = mapped_column(String(MAX_CONTENT_KEY_LENGTH))
    status: Mapped[str] = mapped_column(String(16))
    publish_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revision: Mapped[int] = mapped_column(Integer, default=1)
    views: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str | None] = mapped_column(String(MAX_CREATED_BY_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_announcements_status_published", "status", "published_at", "id"),
        Index("ix_announcements_due", "status", "publish_at"),
        # The latest retraction (the website's feeds): max(updated_at) in one probe.
        Index("ix_announcements_status_updated", "status", "updated_at"),
        Index("ux_announcements_content_key", "content_key", unique=True),
    )


class AnnouncementPhotoRow(Base):
    """The photo an announcement carries; kept here so every platform can upload it."""

    __tablename__ = "announcement_photos"

    announcement_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("announcements.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[bytes] = mapped_column(LargeBinary)
    mime_type: Mapped[str] = mapped_column(String(100))
    file_name: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PlatformFileIdRow(Base):
    """The id a platform gave a file uploaded to it (bot.ports.FileIds), by content."""

    __tablename__ = "platform_file_ids"

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    file_id: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TagRow(Base):
    """A tag: the key every spelling normalizes to, a display name, and a published count."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    # Kept by the repository so /tags needs no aggregate over every announcement.
    published_count: Mapped[int] = mapped_column(Integer, default=0)


class AnnouncementTagRow(Base):
    """Which tags an announcement carries; `published_at` copied here for fast tag pages."""

    __tablename__ = "announcement_tags"

    announcement_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("announcements.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True
    )
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    position: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        Index("ix_announcement_tags_page", "tag_id", "published_at", "announcement_id"),
    )


class ChatRow(Base):
    """A chat on a platform; inactive chats keep their settings in case they come back."""

    __tablename__ = "chats"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    # Text, not an integer: Telegram ids need 64 bits and Discord snowflakes may exceed int64.
    external_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    inactive_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("platform", "external_id", name="uq_chats_platform_id"),)


class SubscriptionRow(Base):
    """A chat's subscription; `tag_key` '' means everything."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigId, ForeignKey("chats.id", ondelete="CASCADE"))
    tag_key: Mapped[str] = mapped_column(String(64))
    tag_name: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("chat_id", "tag_key", name="uq_subscriptions_chat_tag"),
        Index("ix_subscriptions_tag", "tag_key"),
    )


class AdminRow(Base):
    """An admin added by an owner (owners themselves come from HERALD_ADMINS)."""

    __tablename__ = "admins"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    actor: Mapped[str] = mapped_column(String(100), unique=True)
    added_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AnniversaryRow(Base):
    """A date the society keeps; tags and reminder days are comma-separated text."""

    __tablename__ = "anniversaries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(Text)
    month: Mapped[int] = mapped_column(Integer)
    day: Mapped[int] = mapped_column(Integer)
    year: Mapped[int | None] = mapped_column(Integer)
    time_of_day: Mapped[str | None] = mapped_column(String(5))
    timezone: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str | None] = mapped_column(Text)
    announcement_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("announcements.id", ondelete="SET NULL")
    )
    tags: Mapped[str] = mapped_column(Text, default="")
    reminder_days: Mapped[str | None] = mapped_column(String(100))
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OccurrenceRow(Base):
    """One firing of an anniversary; the unique key makes each fire at most once."""

    __tablename__ = "anniversary_occurrences"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    anniversary_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("anniversaries.id", ondelete="CASCADE")
    )
    occurs_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime())
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    # JSON {language: [title, body]}: each chat reads the firing in its own language;
    # title and body above are the society's language (and all that older rows have).
    translations: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("anniversary_id", "occurs_on", "kind", name="uq_occurrence_once"),
    )


class DeliveryRow(Base):
    """An outbox row: one send, edit or delete of one message in one chat."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigId, ForeignKey("chats.id", ondelete="CASCADE"))
    # No foreign keys on the content: on PostgreSQL their per-row checks were over half the
    # cost of enqueueing a big broadcast. Announcements are never deleted; a deleted
    # anniversary's occurrences go, and the delivery engine skips rows whose content is gone.
    announcement_id: Mapped[int | None] = mapped_column(BigId)
    occurrence_id: Mapped[int | None] = mapped_column(BigId)
    action: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(8))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    message_ids: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_deliveries_claim", "state", "due_at"),
        Index("ix_deliveries_announcement", "announcement_id", "state"),
        Index("ix_deliveries_chat", "chat_id", "state"),
    )


class MessageCopyRow(Base):
    """The messages that currently show an announcement in one chat, for edits and deletes."""

    __tablename__ = "message_copies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    announcement_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("announcements.id", ondelete="CASCADE")
    )
    chat_id: Mapped[int] = mapped_column(BigId, ForeignKey("chats.id", ondelete="CASCADE"))
    message_ids: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("announcement_id", "chat_id", name="uq_copy_chat"),)


class DeliveryOwnerRow(Base):
    """A process that leases outbox rows: who it is, so others can tell when it died."""

    __tablename__ = "delivery_owners"

    # The value the owner writes into deliveries.lease_owner.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    host: Mapped[str] = mapped_column(String(64))
    pid: Mapped[int] = mapped_column(Integer)
    # The process's start time as the kernel tells it (boot id and start tick), "" if unknown:
    # a pid reused by another process after a crash has another start time.
    started: Mapped[str] = mapped_column(String(64))
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditRow(Base):
    """Who did which admin action, when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str | None] = mapped_column(String(100))
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SiteViewRow(Base):
    """A web view of an announcement's page: a visitor's keyed hash (never an address), a day."""

    __tablename__ = "site_views"

    announcement_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("announcements.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    visitor: Mapped[str] = mapped_column(String(32), primary_key=True)


class ChatViewRow(Base):
    """A reader who opened an announcement in chat (`/show`): counted once per reader."""

    __tablename__ = "chat_views"

    announcement_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("announcements.id", ondelete="CASCADE"), primary_key=True
    )
    # SHA-256 of `platform:user_id`, cut to 32 hex digits: ids stay out of plain sight.
    viewer: Mapped[str] = mapped_column(String(32), primary_key=True)


class FeedSourceRow(Base):
    """A website source polled for new entries (bot.feeds); times UTC."""

    __tablename__ = "feed_sources"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    kind: Mapped[str] = mapped_column(String(8))
    mode: Mapped[str] = mapped_column(String(8))
    every_seconds: Mapped[int] = mapped_column(Integer)
    # JSON list of tag names given to each new announcement.
    tags: Mapped[str | None] = mapped_column(Text)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    title: Mapped[str | None] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(String(100))
    last_success: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_poll: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FeedEntryRow(Base):
    """An entry a source has shown, once per (source, key): the unique row is the claim."""

    __tablename__ = "feed_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source_id: Mapped[int] = mapped_column(BigId, ForeignKey("feed_sources.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    updated: Mapped[datetime | None] = mapped_column(UTCDateTime())
    announcement_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("announcements.id", ondelete="SET NULL")
    )
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("source_id", "key", name="uq_feed_entries_source_key"),)


class StateRow(Base):
    """Small key/value state (e.g. the hash of the last Discord command sync)."""

    __tablename__ = "kv_state"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


__all__ = ["Base", "text"]
