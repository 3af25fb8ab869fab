"""What the core needs from storage: small stores that hide the session and return plain objects.

Each call is its own unit of work (one transaction); a write and the outbox rows it
broadcasts commit together. `storage/` implements these; the composition root wires them in.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Protocol

from bot.domain import (
    Anniversary,
    AnniversaryFields,
    Announcement,
    Chat,
    ChatRef,
    KeptAnniversary,
    NewAnnouncement,
    Page,
    PublishResult,
    Status,
    Subscription,
    TagCount,
)
from bot.formatting import Styles

# A claimed anniversary firing: (anniversary id, the date it marks, its kind: "day", "before:7").
OccurrenceKey = tuple[int, date, str]


class AnnouncementStore(Protocol):
    """Announcements: writes (each with its outbox rows) and the listings members read."""

    async def create(
        self, new: NewAnnouncement, *, status: Status, now: datetime, actor: str | None = None
    ) -> PublishResult:
        """Store a new announcement; when `status` is published, enqueue its deliveries too."""
        ...

    async def upsert_imported(self, new: NewAnnouncement, *, now: datetime) -> tuple[int, bool]:
        """Insert or update an imported post by its source key (never broadcasts); (id, new)."""
        ...

    async def get(self, announcement_id: int) -> Announcement | None:
        """One announcement, or None."""
        ...

    async def count_view(self, announcement_id: int, viewer: str) -> bool:
        """Count `viewer`'s view (a hash) once per announcement; whether it was new."""
        ...

    async def publish(self, announcement_id: int, *, now: datetime, actor: str) -> PublishResult:
        """Publish a draft or scheduled announcement now and enqueue its deliveries."""
        ...

    async def schedule(
        self, announcement_id: int, *, when: datetime, now: datetime, actor: str
    ) -> Announcement:
        """Set a draft (or scheduled) announcement to publish at `when`."""
        ...

    async def publish_due(self, *, now: datetime, limit: int = 100) -> list[PublishResult]:
        """Publish every scheduled announcement that is due; each is claimed by one process."""
        ...

    async def edit(
        self,
        announcement_id: int,
        *,
        title: str,
        body: str,
        tags: Sequence[str] | None,
        now: datetime,
        actor: str,
        body_styles: Styles = (),
    ) -> PublishResult:
        """Change the text, its style runs (and tags); a published one gets edit rows too."""
        ...

    async def retract(self, announcement_id: int, *, now: datetime, actor: str) -> PublishResult:
        """Retract: deletes every sent copy, cancels unsent ones, hides it from listings."""
        ...

    async def latest(self, *, page: int, size: int) -> Page[Announcement]:
        """Published announcements, newest first."""
        ...

    async def tag_page(
        self, key: str, *, page: int, size: int
    ) -> tuple[TagCount, Page[Announcement]] | None:
        """The tag and a page of its published announcements; None for an unknown tag."""
        ...

    async def search(self, words: str, *, page: int, size: int) -> Page[Announcement]:
        """Published announcements matching every word, newest first (total capped)."""
        ...

    async def tags(self, *, limit: int | None = None, offset: int = 0) -> list[TagCount]:
        """Tags used by published announcements, most used first: `limit` after `offset`."""
        ...

    async def tags_in_use(self) -> int:
        """How many tags published announcements carry."""
        ...

    async def tag_names(self, prefix: str, limit: int) -> list[str]:
        """Tag names whose key contains `prefix`, prefix matches and most used first."""
        ...

    async def counts(self) -> dict[str, int]:
        """How many announcements are in each status."""
        ...


class ChatStore(Protocol):
    """Chats, their life on the platform, their languages and subscriptions."""

    async def ensure(
        self,
        ref: ChatRef,
        *,
        now: datetime,
        reactivate: bool = False,
        language: str | None = None,
    ) -> Chat:
        """The chat for `ref`, created on first sight (with `language`); `reactivate` revives it."""
        ...

    async def get_many(self, platform: str, external_ids: Sequence[str]) -> dict[str, Chat]:
        """The recorded chats among `external_ids` on one platform, by external id."""
        ...

    async def keys(self, limit: int) -> set[tuple[str, str]] | None:
        """Every recorded chat as (platform, external id); None when there are more than `limit`."""
        ...

    async def deactivate(
        self, platform: str, external_id: str, reason: str, *, now: datetime
    ) -> bool:
        """Mark a chat inactive with the reason; its settings stay."""
        ...

    async def migrate(self, platform: str, old_id: str, new_id: str, *, now: datetime) -> bool:
        """Rewrite a chat's id (Telegram group → supergroup), keeping its subscriptions."""
        ...

    async def set_language(self, chat_id: int, language: str) -> None:
        """Store the chat's reply language."""
        ...

    async def subscribe(
        self,
        chat_id: int,
        tags: Sequence[tuple[str, str]],
        *,
        now: datetime,
        max_tags: int | None = None,
    ) -> list[str]:
        """Add subscriptions (key, name); an empty key means everything. Returns the new names.

        With `max_tags`, TagError("chat_full") when the chat would then follow more tags,
        checked atomically with the insert (two concurrent calls cannot both pass).
        """
        ...

    async def unsubscribe(self, chat_id: int, keys: Sequence[str] | None) -> int:
        """Remove the given subscriptions, or all of them when `keys` is None."""
        ...

    async def subscriptions(self, chat_id: int) -> list[Subscription]:
        """The chat's subscriptions, everything first, then by name."""
        ...

    async def counts(self) -> dict[str, int]:
        """Active chats per platform."""
        ...


class AdminStore(Protocol):
    """The admins owners added (owners themselves come from settings)."""

    async def add(self, actor: str, *, by: str, now: datetime) -> bool:
        """Make `actor` an admin; False when it already was."""
        ...

    async def remove(self, actor: str, *, by: str, now: datetime) -> bool:
        """Take admin rights away; False when `actor` was not an admin."""
        ...

    async def all(self) -> list[str]:
        """Every added admin."""
        ...


class AnniversaryStore(Protocol):
    """The dates the society keeps."""

    async def add(self, fields: AnniversaryFields, *, actor: str, now: datetime) -> Anniversary:
        """Store a new anniversary."""
        ...

    async def update(
        self, anniversary_id: int, fields: AnniversaryFields, *, actor: str, now: datetime
    ) -> Anniversary | None:
        """Replace an anniversary's fields; None when it does not exist."""
        ...

    async def remove(self, anniversary_id: int, *, actor: str, now: datetime) -> bool:
        """Delete an anniversary; False when it did not exist."""
        ...

    async def get(self, anniversary_id: int) -> Anniversary | None:
        """One anniversary."""
        ...

    async def all(self) -> list[Anniversary]:
        """Every anniversary, in calendar order."""
        ...


class OccurrenceStore(Protocol):
    """What the scheduler reads and claims: each firing once, by a unique row."""

    async def kept_anniversaries(self) -> list[KeptAnniversary]:
        """Every anniversary with its creation instant, by id."""
        ...

    async def claimed_keys(
        self, *, anniversary_ids: Collection[int], first: date, last: date
    ) -> set[OccurrenceKey]:
        """The (anniversary, date, kind) already claimed for these anniversaries and dates."""
        ...

    async def claim_occurrence(
        self,
        *,
        anniversary_id: int,
        occurs_on: date,
        kind: str,
        title: str,
        body: str,
        tag_keys: Sequence[str],
        now: datetime,
        translations: Mapping[str, tuple[str, str]] | None = None,
    ) -> int | None:
        """Claim one firing and enqueue its sends in one transaction; None when already claimed."""
        ...

    async def posts_due(self, *, now: datetime) -> bool:
        """Whether a scheduled announcement is due (a cheap read before the claiming write)."""
        ...


class LeadershipLock(Protocol):
    """Lets one replica at a time fire the scheduler's jobs."""

    @property
    def contested(self) -> bool:
        """False when no other replica can share the database (SQLite): this one always leads."""
        ...

    @property
    def held(self) -> bool:
        """Whether this replica holds the lock (as far as it last knew)."""
        ...

    async def acquire(self) -> bool:
        """Take the lock unless another replica holds it; True when this replica now holds it."""
        ...

    async def check(self) -> bool:
        """Whether the held lock is still this replica's; False when lost (then `release`)."""
        ...

    async def release(self) -> None:
        """Give the lock up, so the next replica to try leads."""
        ...
