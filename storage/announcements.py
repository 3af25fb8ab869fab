"""The announcement store: creating, publishing, editing and retracting announcements."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import Announcement, NewAnnouncement, NotFound, PublishResult, Status, WrongState
from bot.formatting import Photo, Styles, styles_to_json
from bot.limits import Unstorable, storable_problem
from bot.tags import MAX_TAG_LENGTH, display_name, tag_key
from storage import convert, outbox
from storage.audit import record
from storage.engine import insert_new, read_sessions, write_lock
from storage.listings import Listings, one
from storage.models import AnnouncementRow, AnnouncementTagRow, ChatViewRow, TagRow
from storage.photos import add_photo, has_photo, photos_of


class AnnouncementStore(Listings):
    """Reads and writes announcements; every write is one transaction."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._reads = read_sessions(sessions)

    async def create(
        self,
        new: NewAnnouncement,
        *,
        status: Status,
        now: datetime,
        actor: str | None = None,
    ) -> PublishResult:
        """Store a new announcement; when `status` is published, enqueue its deliveries too."""
        async with self._sessions.begin() as session:
            return await create_in(session, new, status=status, now=now, actor=actor)

    async def upsert_imported(self, new: NewAnnouncement, *, now: datetime) -> tuple[int, bool]:
        """Insert or update an imported post found by its address or its content; (id, new).

        Never broadcasts. Raises `Unstorable` for a field over its limit on any database.
        """
        if not (new.source_key or new.content_key):
            raise ValueError("imported announcements need a source key or a content key")
        problem = storable_problem(new)
        if problem:
            raise Unstorable(problem)
        try:
            return await self._upsert_imported(new, now)
        except IntegrityError:
            # Another process inserted the same post between our look-up and our insert
            # (PostgreSQL; SQLite's write lock serialises): now it is there to update.
            pass
        try:
            return await self._upsert_imported(new, now)
        except IntegrityError:
            raise Unstorable(
                "another import of the same post was writing it at the same time; import it again"
            ) from None

    async def _upsert_imported(self, new: NewAnnouncement, now: datetime) -> tuple[int, bool]:
        async with self._sessions.begin() as session:
            await write_lock(session)
            by_address = by_content = None
            if new.source_key:
                by_address = await session.scalar(
                    select(AnnouncementRow)
                    .where(AnnouncementRow.source_key == new.source_key)
                    .with_for_update()
                )
            if new.content_key:
                by_content = await session.scalar(
                    select(AnnouncementRow)
                    .where(AnnouncementRow.content_key == new.content_key)
                    .with_for_update()
                )
            row = by_address or by_content
            created = row is None
            if row is None:
                row = AnnouncementRow(
                    status=Status.PUBLISHED.value, revision=1, created_at=now, published_at=now
                )
                session.add(row)
            else:
                row.revision += 1
            # A text save carries no address: it keeps the one an HTML save gave. A post found
            # by its content under another address keeps its first address.
            if new.source_key and row.source_key in (None, new.source_key):
                row.source_key, row.source_url = new.source_key, new.source_url
            # Found by address while another row has this content (a text save imported
            # before the page, then edited): the other row keeps it rather than collide.
            if new.content_key and by_content in (None, row):
                row.content_key = new.content_key
            row.title, row.body = new.title, new.body
            row.body_styles = styles_to_json(new.body_styles)
            row.category, row.language = new.category, new.language
            row.signature, row.created_by = new.signature, new.created_by
            # Views counted here since the last import are not lost to an older count.
            row.views = max(row.views or 0, new.views)
            row.updated_at = now
            await session.flush()
            await _set_tags(session, row.id, new.tags)
            return row.id, created

    async def get(self, announcement_id: int) -> Announcement | None:
        """One announcement, or None."""
        async with self._reads() as session:
            # One statement, not three (row, tags, photo): a cold permalink page reads this.
            return await one(session, announcement_id)

    async def photo(self, announcement_id: int) -> Photo | None:
        """The announcement's photo, or None."""
        async with self._reads() as session:
            return (await photos_of(session, [announcement_id])).get(announcement_id)

    async def count_view(self, announcement_id: int, viewer: str) -> bool:
        """Count `viewer`'s view once per announcement (the counter moves only then)."""
        async with self._sessions.begin() as session:
            values = {"announcement_id": announcement_id, "viewer": viewer}
            if not await insert_new(session, ChatViewRow, values, ["announcement_id", "viewer"]):
                return False
            await session.execute(
                update(AnnouncementRow)
                .where(AnnouncementRow.id == announcement_id)
                .values(views=AnnouncementRow.views + 1)
            )
            return True

    async def publish(self, announcement_id: int, *, now: datetime, actor: str) -> PublishResult:
        """Publish a draft or scheduled announcement now and enqueue its deliveries."""
        async with self._sessions.begin() as session:
            row = await _row(session, announcement_id, for_update=True)
            if row.status not in (Status.DRAFT.value, Status.SCHEDULED.value):
                raise WrongState(Status(row.status))
            count = await _publish(session, row, now)
            await record(session, actor, "publish", announcement_id, now)
            return PublishResult(await _load(session, announcement_id), count)

    async def schedule(
        self, announcement_id: int, *, when: datetime, now: datetime, actor: str
    ) -> Announcement:
        """Set a draft (or scheduled) announcement to publish at `when`."""
        async with self._sessions.begin() as session:
            row = await _row(session, announcement_id, for_update=True)
            if row.status not in (Status.DRAFT.value, Status.SCHEDULED.value):
                raise WrongState(Status(row.status))
            row.status, row.publish_at, row.updated_at = Status.SCHEDULED.value, when, now
            await record(session, actor, "schedule", announcement_id, now, when.isoformat())
            await session.flush()
            return await _load(session, announcement_id)

    async def publish_due(self, *, now: datetime, limit: int = 100) -> list[PublishResult]:
        """Publish every scheduled announcement that is due; each is claimed by one process only."""
        results: list[PublishResult] = []
        # Materialized: PostgreSQL would otherwise rerun a locking subquery per row and claim
        # more than `limit`; SKIP LOCKED lets a second process take the next rows, not wait.
        due = (
            select(AnnouncementRow.id)
            .where(
                AnnouncementRow.status == Status.SCHEDULED.value,
                AnnouncementRow.publish_at <= now,
            )
            .order_by(AnnouncementRow.publish_at, AnnouncementRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .cte("due")
            .prefix_with("MATERIALIZED")
        )
        async with self._sessions.begin() as session:
            claimed = await session.scalars(
                update(AnnouncementRow)
                .where(
                    AnnouncementRow.id.in_(select(due.c.id)),
                    AnnouncementRow.status == Status.SCHEDULED.value,
                )
                .values(status=Status.DRAFT.value)
                .returning(AnnouncementRow.id)
            )
            ids = sorted(claimed.all())
            for announcement_id in ids:
                row = await _row(session, announcement_id)
                count = await _publish(session, row, now)
                results.append(PublishResult(await _load(session, announcement_id), count))
        return results

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
        async with self._sessions.begin() as session:
            return await edit_in(
                session,
                announcement_id,
                title=title,
                body=body,
                tags=tags,
                now=now,
                actor=actor,
                body_styles=body_styles,
            )

    async def retract(self, announcement_id: int, *, now: datetime, actor: str) -> PublishResult:
        """Retract: deletes every sent copy, cancels unsent ones, hides it from listings."""
        async with self._sessions.begin() as session:
            row = await _row(session, announcement_id, for_update=True)
            if row.status == Status.RETRACTED.value:
                raise WrongState(Status.RETRACTED)
            was_published = row.status == Status.PUBLISHED.value
            row.status, row.updated_at = Status.RETRACTED.value, now
            row.revision += 1
            count = 0
            if was_published:
                await _tag_counts(session, row.id, -1, published_at=None)
                await outbox.cancel_pending_sends(session, announcement_id=row.id)
                count = await outbox.enqueue_delete(
                    session, announcement_id=row.id, revision=row.revision, now=now
                )
            await record(session, actor, "retract", announcement_id, now)
            await session.flush()
            return PublishResult(await _load(session, announcement_id), count)


async def create_in(
    session: AsyncSession,
    new: NewAnnouncement,
    *,
    status: Status,
    now: datetime,
    actor: str | None = None,
) -> PublishResult:
    """Store a new announcement (and its outbox rows when published) in `session`'s transaction."""
    if status not in (Status.DRAFT, Status.PUBLISHED):
        raise ValueError(f"a new announcement is a draft or published, not {status.value}")
    _storable(new.title, new.body, new.signature)
    row = AnnouncementRow(
        title=new.title,
        body=new.body,
        body_styles=styles_to_json(new.body_styles),
        category=new.category,
        language=new.language,
        signature=new.signature,
        source_url=new.source_url,
        source_key=new.source_key,
        status=Status.DRAFT.value,
        revision=1,
        views=new.views,
        created_by=new.created_by,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    if new.photo is not None:
        await add_photo(session, row.id, new.photo, now)
    await _set_tags(session, row.id, new.tags)
    count = 0
    if status is Status.PUBLISHED:
        count = await _publish(session, row, now)
    if actor:
        action = "post" if status is Status.PUBLISHED else "draft"
        await record(session, actor, action, row.id, now)
    return PublishResult(await _load(session, row.id), count)


async def edit_in(
    session: AsyncSession,
    announcement_id: int,
    *,
    title: str,
    body: str,
    tags: Sequence[str] | None,
    now: datetime,
    actor: str,
    body_styles: Styles = (),
) -> PublishResult:
    """Edit in `session`'s transaction; a published announcement gets edit rows too."""
    _storable(title, body)
    row = await _row(session, announcement_id, for_update=True)
    if row.status == Status.RETRACTED.value:
        raise WrongState(Status.RETRACTED)
    row.title, row.body, row.updated_at = title, body, now
    row.body_styles = styles_to_json(body_styles)
    row.revision += 1
    if tags is not None:
        await _set_tags(session, row.id, tags)
    count = 0
    if row.status == Status.PUBLISHED.value:
        count = await outbox.enqueue_edit(
            session, announcement_id=row.id, revision=row.revision, now=now
        )
    await record(session, actor, "edit", announcement_id, now)
    await session.flush()
    return PublishResult(await _load(session, announcement_id), count)


def _storable(*texts: str | None) -> None:
    # PostgreSQL text cannot hold NUL and SQLite can: refuse it on both, with a clear reason.
    if any(t and "\x00" in t for t in texts):
        raise ValueError("text with a NUL character cannot be stored")


async def _row(
    session: AsyncSession, announcement_id: int, *, for_update: bool = False
) -> AnnouncementRow:
    query = select(AnnouncementRow).where(AnnouncementRow.id == announcement_id)
    if for_update:
        await write_lock(session)
        query = query.with_for_update()
    row = await session.scalar(query)
    if row is None:
        raise NotFound(announcement_id)
    return row


async def _publish(session: AsyncSession, row: AnnouncementRow, now: datetime) -> int:
    row.status, row.published_at, row.updated_at, row.publish_at = (
        Status.PUBLISHED.value,
        now,
        now,
        None,
    )
    await session.flush()
    keys = await _tag_counts(session, row.id, +1, published_at=now)
    return await outbox.enqueue_send(
        session, announcement_id=row.id, revision=row.revision, tag_keys=keys, now=now
    )


async def _tag_counts(
    session: AsyncSession, announcement_id: int, delta: int, *, published_at: datetime | None
) -> list[str]:
    """Adjust the published counts of the announcement's tags; return their keys."""
    tag_ids = (
        await session.scalars(
            select(AnnouncementTagRow.tag_id).where(
                AnnouncementTagRow.announcement_id == announcement_id
            )
        )
    ).all()
    if not tag_ids:
        return []
    await session.execute(
        update(TagRow)
        .where(TagRow.id.in_(tag_ids))
        .values(published_count=TagRow.published_count + delta)
    )
    await session.execute(
        update(AnnouncementTagRow)
        .where(AnnouncementTagRow.announcement_id == announcement_id)
        .values(published_at=published_at)
    )
    return list((await session.scalars(select(TagRow.key).where(TagRow.id.in_(tag_ids)))).all())


async def _set_tags(session: AsyncSession, announcement_id: int, names: Sequence[str]) -> None:
    """Replace the announcement's tags, creating tags on first use and keeping counts right."""
    row = await _row(session, announcement_id)
    published = row.status == Status.PUBLISHED.value
    if published:
        await _tag_counts(session, announcement_id, -1, published_at=None)
    await session.execute(
        delete(AnnouncementTagRow).where(AnnouncementTagRow.announcement_id == announcement_id)
    )
    seen: set[str] = set()
    for position, raw in enumerate(names):
        name, key = display_name(raw), tag_key(raw)
        if not key or key in seen:
            continue
        if max(len(key), len(name)) > MAX_TAG_LENGTH:
            # PostgreSQL would refuse it and SQLite would keep it: refuse it on both.
            raise ValueError(f"tag longer than {MAX_TAG_LENGTH} characters: {name[:20]}…")
        seen.add(key)
        tag_id = await session.scalar(select(TagRow.id).where(TagRow.key == key))
        if tag_id is None:
            values = {"key": key, "name": name, "published_count": 0}
            await insert_new(session, TagRow, values, ["key"])
            tag_id = await session.scalar(select(TagRow.id).where(TagRow.key == key))
        session.add(
            AnnouncementTagRow(announcement_id=announcement_id, tag_id=tag_id, position=position)
        )
    await session.flush()
    if published:
        await _tag_counts(session, announcement_id, +1, published_at=row.published_at)


async def _tags_of(session: AsyncSession, ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    rows = await session.execute(
        select(AnnouncementTagRow.announcement_id, TagRow.name)
        .join(TagRow, TagRow.id == AnnouncementTagRow.tag_id)
        .where(AnnouncementTagRow.announcement_id.in_(ids))
        .order_by(AnnouncementTagRow.announcement_id, AnnouncementTagRow.position)
    )
    tags: dict[int, list[str]] = {}
    for announcement_id, name in rows:
        tags.setdefault(announcement_id, []).append(name)
    return {key: tuple(value) for key, value in tags.items()}


async def _load(session: AsyncSession, announcement_id: int) -> Announcement:
    row = await _row(session, announcement_id)
    tags = await _tags_of(session, [announcement_id])
    photo = await has_photo(session, announcement_id)
    return convert.announcement(row, tags.get(announcement_id, ()), has_photo=photo)


__all__ = ["AnnouncementStore", "NotFound", "PublishResult", "WrongState", "create_in", "edit_in"]
