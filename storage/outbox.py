"""Outbox rows: written in the same transaction as the change they broadcast, claimed by workers."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, Table, and_, bindparam, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Base
from storage.types import UTCDateTime

_T = Base.metadata.tables
DELIVERIES: Table = _T["deliveries"]
CHATS: Table = _T["chats"]
ANNOUNCEMENTS: Table = _T["announcements"]
OCCURRENCES: Table = _T["anniversary_occurrences"]
COPIES: Table = _T["message_copies"]
ANNOUNCEMENT_TAGS: Table = _T["announcement_tags"]
TAGS: Table = _T["tags"]

_TARGETS = """
    FROM chats c
    WHERE c.active
      AND EXISTS (
        SELECT 1 FROM subscriptions s
        WHERE s.chat_id = c.id AND (s.tag_key = '' OR s.tag_key IN ({keys}))
      )
"""
_NOW = bindparam("now", type_=UTCDateTime())


def _keys_clause(tag_keys: Sequence[str]) -> tuple[str, dict[str, str]]:
    params = {f"k{i}": key for i, key in enumerate(tag_keys)}
    # An impossible key keeps `IN ()` valid SQL when the announcement has no tags.
    placeholders = ", ".join(f":{name}" for name in params) or "''"
    return placeholders, params


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def enqueue_send(
    session: AsyncSession,
    *,
    announcement_id: int,
    revision: int,
    tag_keys: Sequence[str],
    now: datetime,
) -> int:
    """One send row per active chat subscribed to everything or to any of the tags."""
    keys, params = _keys_clause(tag_keys)
    statement = text(
        "INSERT INTO deliveries (chat_id, announcement_id, action, state, revision, "
        "attempts, due_at, created_at, updated_at) "
        "SELECT c.id, :aid, 'send', 'pending', :rev, 0, :now, :now, :now "
        + _TARGETS.format(keys=keys)
    ).bindparams(_NOW)
    result = await session.execute(
        statement, {"aid": announcement_id, "rev": revision, "now": now, **params}
    )
    return _rowcount(result)


async def enqueue_occurrence(
    session: AsyncSession, *, occurrence_id: int, tag_keys: Sequence[str], now: datetime
) -> int:
    """One send row per chat subscribed to everything or to any tag, for an anniversary firing."""
    keys, params = _keys_clause(tag_keys)
    statement = text(
        "INSERT INTO deliveries (chat_id, occurrence_id, action, state, revision, "
        "attempts, due_at, created_at, updated_at) "
        "SELECT c.id, :oid, 'send', 'pending', 1, 0, :now, :now, :now "
        + _TARGETS.format(keys=keys)
    ).bindparams(_NOW)
    result = await session.execute(statement, {"oid": occurrence_id, "now": now, **params})
    return _rowcount(result)


async def enqueue_edit(
    session: AsyncSession, *, announcement_id: int, revision: int, now: datetime
) -> int:
    """One edit row per chat that holds a copy of the announcement."""
    return await _enqueue_for_copies(session, "edit", announcement_id, revision, now)


async def enqueue_delete(
    session: AsyncSession, *, announcement_id: int, revision: int, now: datetime
) -> int:
    """One delete row per chat that holds a copy of the announcement."""
    return await _enqueue_for_copies(session, "delete", announcement_id, revision, now)


async def cancel_pending_sends(session: AsyncSession, *, announcement_id: int) -> int:
    """Skip sends not yet made (a retraction overtook them); in-flight ones are reconciled."""
    result = await session.execute(
        update(DELIVERIES)
        .where(
            DELIVERIES.c.announcement_id == announcement_id,
            DELIVERIES.c.action == "send",
            DELIVERIES.c.state == "pending",
        )
        .values(state="skipped", error="retracted")
    )
    return _rowcount(result)


async def _enqueue_for_copies(
    session: AsyncSession, action: str, announcement_id: int, revision: int, now: datetime
) -> int:
    statement = text(
        "INSERT INTO deliveries (chat_id, announcement_id, action, state, revision, "
        "attempts, due_at, created_at, updated_at) "
        "SELECT m.chat_id, :aid, :action, 'pending', :rev, 0, :now, :now, :now "
        "FROM message_copies m WHERE m.announcement_id = :aid"
    ).bindparams(_NOW)
    result = await session.execute(
        statement, {"aid": announcement_id, "action": action, "rev": revision, "now": now}
    )
    return _rowcount(result)


def _naive_if_sqlite(session: AsyncSession, when: datetime) -> datetime:
    # Raw SQL bypasses UTCDateTime; SQLite stores naive UTC text, PostgreSQL timestamptz.
    when = when.astimezone(UTC)
    if session.get_bind().dialect.name == "sqlite":
        return when.replace(tzinfo=None)
    return when


# --- claiming ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Content:
    """What a claimed row shows: an announcement's current text or an anniversary firing's."""

    title: str
    body: str
    kind: str  # "announcement", or the occurrence kind ("day", "before:7", ...)
    status: str | None = None
    revision: int = 1
    tags: tuple[str, ...] = ()
    signature: str | None = None
    category: str | None = None
    published_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery row leased to this worker, with everything needed to carry it out."""

    id: int
    chat_id: int
    platform: str
    external_id: str
    chat_kind: str
    chat_language: str | None
    chat_active: bool
    action: str
    revision: int
    attempts: int
    announcement_id: int | None
    occurrence_id: int | None
    content: Content | None
    copy_ids: tuple[str, ...] = ()
    copy_sent_at: datetime | None = None


def _claimable(now: datetime, platforms: Collection[str]) -> list[ColumnElement[bool]]:
    d = DELIVERIES.c
    # A correlated scalar lookup, not a join: PostgreSQL then walks ix_deliveries_claim in
    # due order and stops at LIMIT, whatever its statistics say right after a bulk insert
    # (with stale statistics a join turned one claim into a rows x chats nested loop).
    platform = select(CHATS.c.platform).where(CHATS.c.id == d.chat_id).scalar_subquery()
    return [
        d.state == "pending",
        d.due_at <= now,
        or_(d.lease_until.is_(None), d.lease_until < now),
        platform.in_(list(platforms)),
    ]


async def claim(
    session: AsyncSession,
    *,
    platforms: Collection[str],
    owner: str,
    now: datetime,
    lease_seconds: float,
    limit: int,
    tag_cache: dict[tuple[int, int], tuple[str, ...]] | None = None,
) -> list[Claimed]:
    """Lease up to `limit` due rows for `platforms` in one statement and load what they show.

    `tag_cache` maps (announcement id, revision) to tag names across calls.
    """
    d = DELIVERIES.c
    chosen = (
        select(d.id)
        .where(*_claimable(now, platforms))
        .order_by(d.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        # Materialized: chosen once, then joined by primary key, never rescanned per row.
        .cte("chosen")
        .prefix_with("MATERIALIZED")
    )
    leased = await session.execute(
        update(DELIVERIES)
        .where(d.id == chosen.c.id)
        .values(
            lease_until=now + timedelta(seconds=lease_seconds),
            lease_owner=owner,
            attempts=d.attempts + 1,
            updated_at=now,
        )
        .returning(d.id)
    )
    ids = [int(row[0]) for row in leased]
    if not ids:
        return []
    return await load(session, ids, tag_cache=tag_cache)


async def load(
    session: AsyncSession,
    ids: Sequence[int],
    *,
    tag_cache: dict[tuple[int, int], tuple[str, ...]] | None = None,
) -> list[Claimed]:
    """Load delivery rows with their chat, content and current copy, in id order."""
    d, c, a, o, m = DELIVERIES.c, CHATS.c, ANNOUNCEMENTS.c, OCCURRENCES.c, COPIES.c
    query = (
        select(
            d.id, d.chat_id, d.action, d.revision, d.attempts, d.announcement_id, d.occurrence_id,
            c.platform, c.external_id, c.kind, c.language, c.active,
            a.title, a.body, a.signature, a.category, a.status, a.revision, a.published_at,
            o.title, o.body, o.kind, m.message_ids, m.sent_at,
        )
        .select_from(
            DELIVERIES.join(CHATS, c.id == d.chat_id)
            .outerjoin(ANNOUNCEMENTS, a.id == d.announcement_id)
            .outerjoin(OCCURRENCES, o.id == d.occurrence_id)
            .outerjoin(COPIES, and_(m.announcement_id == d.announcement_id, m.chat_id == d.chat_id))
        )
        .where(d.id.in_(list(ids)))
        .order_by(d.id)
    )
    rows = (await session.execute(query)).all()
    cache = {} if tag_cache is None else tag_cache
    # Tags change only with a new revision, so (id, revision) keys stay true.
    missing = {int(r[5]) for r in rows if r[12] is not None and (r[5], r[17]) not in cache}
    for aid, names in (await _tags(session, missing)).items():
        revision = next(int(r[17]) for r in rows if r[5] == aid)
        cache[(aid, revision)] = names
    for r in rows:
        if r[12] is not None:
            cache.setdefault((int(r[5]), int(r[17])), ())
    contents: dict[tuple[str, int], Content] = {}
    claimed: list[Claimed] = []
    for r in rows:
        content: Content | None = None
        if r[6] is not None and r[19] is not None:
            key = ("o", int(r[6]))
            content = contents.get(key) or Content(title=r[19], body=r[20], kind=r[21])
            contents[key] = content
        elif r[5] is not None and r[12] is not None:
            key = ("a", int(r[5]))
            content = contents.get(key) or Content(
                title=r[12], body=r[13], kind="announcement", signature=r[14], category=r[15],
                status=r[16], revision=int(r[17]), published_at=r[18],
                tags=cache[(int(r[5]), int(r[17]))],
            )
            contents[key] = content
        claimed.append(
            Claimed(
                id=int(r[0]), chat_id=int(r[1]), action=r[2], revision=int(r[3]),
                attempts=int(r[4]), announcement_id=r[5], occurrence_id=r[6],
                platform=r[7], external_id=r[8], chat_kind=r[9], chat_language=r[10],
                chat_active=bool(r[11]), content=content,
                copy_ids=tuple(json.loads(r[22])) if r[22] else (), copy_sent_at=r[23],
            )
        )
    return claimed


async def _tags(session: AsyncSession, announcement_ids: set[int]) -> dict[int, tuple[str, ...]]:
    if not announcement_ids:
        return {}
    at, t = ANNOUNCEMENT_TAGS.c, TAGS.c
    rows = await session.execute(
        select(at.announcement_id, t.name)
        .select_from(ANNOUNCEMENT_TAGS.join(TAGS, t.id == at.tag_id))
        .where(at.announcement_id.in_(sorted(announcement_ids)))
        .order_by(at.announcement_id, at.position, t.name)
    )
    found: dict[int, list[str]] = {}
    for aid, name in rows:
        found.setdefault(int(aid), []).append(name)
    return {aid: tuple(names) for aid, names in found.items()}


async def count_claimable(
    session: AsyncSession, *, platforms: Collection[str], now: datetime
) -> int:
    """How many rows for `platforms` a worker could claim right now."""
    query = select(func.count()).select_from(DELIVERIES).where(*_claimable(now, platforms))
    return int((await session.execute(query)).scalar_one())


async def next_due(
    session: AsyncSession, *, platforms: Collection[str]
) -> datetime | None:
    """When the earliest pending row for `platforms` falls due (ignoring leases)."""
    query = (
        select(func.min(DELIVERIES.c.due_at))
        .select_from(DELIVERIES.join(CHATS, CHATS.c.id == DELIVERIES.c.chat_id))
        .where(DELIVERIES.c.state == "pending", CHATS.c.platform.in_(list(platforms)))
    )
    value = (await session.execute(query)).scalar_one_or_none()
    if value is None:
        return None
    # min() loses the column type on SQLite: it comes back as text.
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# --- results ----------------------------------------------------------------------------

SENT = "sent"
RETRY = "retry"
DEAD = "dead"
SKIPPED = "skipped"
CHAT_GONE = "chat_gone"
CHAT_MOVED = "chat_moved"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one claimed row; `record` writes a batch of these in one transaction."""

    delivery_id: int
    chat_id: int
    kind: str
    action: str = "send"
    announcement_id: int | None = None
    message_ids: tuple[str, ...] = ()
    # The announcement revision the sent or edited copy shows.
    revision: int = 0
    # For deletes done as an edit into a retraction notice: the copy stays, with these ids.
    notice: bool = False
    due_at: datetime | None = None
    counts_attempt: bool = True
    reason: str | None = None
    new_external_id: str | None = None


async def record(session: AsyncSession, outcomes: Sequence[Outcome], now: datetime) -> None:
    """Write the results of a batch of deliveries (sent, retry, dead, skipped, chat changes)."""
    d = DELIVERIES.c
    by_kind: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        by_kind.setdefault(outcome.kind, []).append(outcome)
    done = {"lease_until": None, "lease_owner": None, "updated_at": now}
    if sent := by_kind.get(SENT):
        await session.execute(
            update(DELIVERIES)
            .where(d.id == bindparam("b_id"))
            .values(state="sent", message_ids=bindparam("b_ids"), error=None, **done),
            [{"b_id": o.delivery_id, "b_ids": json.dumps(list(o.message_ids))} for o in sent],
        )
        await _update_copies(session, sent, now)
        await _reconcile(session, [o for o in sent if o.action == "send"], now)
    if retry := by_kind.get(RETRY):
        await session.execute(
            update(DELIVERIES)
            .where(d.id == bindparam("b_id"))
            .values(
                due_at=bindparam("b_due", type_=UTCDateTime()),
                attempts=d.attempts - bindparam("b_back"),
                error=bindparam("b_error"),
                **done,
            ),
            [
                {
                    "b_id": o.delivery_id,
                    "b_due": o.due_at or now,
                    "b_back": 0 if o.counts_attempt else 1,
                    "b_error": o.reason,
                }
                for o in retry
            ],
        )
    for kind in (DEAD, SKIPPED):
        if finished := by_kind.get(kind):
            await session.execute(
                update(DELIVERIES)
                .where(d.id == bindparam("b_id"))
                .values(state=kind, error=bindparam("b_error"), **done),
                [{"b_id": o.delivery_id, "b_error": o.reason} for o in finished],
            )
    for outcome in by_kind.get(CHAT_GONE, []):
        await deactivate_chat(
            session, chat_id=outcome.chat_id, reason=outcome.reason or "gone", now=now
        )
    for outcome in by_kind.get(CHAT_MOVED, []):
        assert outcome.new_external_id is not None
        await move_chat(
            session,
            chat_id=outcome.chat_id,
            new_external_id=outcome.new_external_id,
            delivery_id=outcome.delivery_id,
            now=now,
        )


async def _update_copies(session: AsyncSession, sent: Sequence[Outcome], now: datetime) -> None:
    m = COPIES.c
    mine = [o for o in sent if o.announcement_id is not None]
    upserts = [o for o in mine if o.action == "send"]
    edits = [o for o in mine if o.action == "edit" or (o.action == "delete" and o.notice)]
    removed = [o for o in mine if o.action == "delete" and not o.notice]
    if upserts:
        values = [
            {
                "announcement_id": o.announcement_id,
                "chat_id": o.chat_id,
                "message_ids": json.dumps(list(o.message_ids)),
                "sent_at": now,
                "updated_at": now,
            }
            for o in upserts
        ]
        statement = (
            postgresql_insert(COPIES)
            if session.get_bind().dialect.name == "postgresql"
            else sqlite_insert(COPIES)
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["announcement_id", "chat_id"],
                set_={
                    "message_ids": statement.excluded.message_ids,
                    "sent_at": statement.excluded.sent_at,
                    "updated_at": statement.excluded.updated_at,
                },
            ),
            values,
        )
    if edits:
        await session.execute(
            update(COPIES)
            .where(m.announcement_id == bindparam("b_aid"), m.chat_id == bindparam("b_chat"))
            .values(message_ids=bindparam("b_ids"), updated_at=now),
            [
                {
                    "b_aid": o.announcement_id,
                    "b_chat": o.chat_id,
                    "b_ids": json.dumps(list(o.message_ids)),
                }
                for o in edits
            ],
        )
    if removed:
        await session.execute(
            COPIES.delete().where(
                m.announcement_id == bindparam("b_aid"), m.chat_id == bindparam("b_chat")
            ),
            [{"b_aid": o.announcement_id, "b_chat": o.chat_id} for o in removed],
        )


async def _reconcile(session: AsyncSession, sends: Sequence[Outcome], now: datetime) -> None:
    """A send that raced an edit or a retraction gets its own edit or delete row."""
    aids = {o.announcement_id for o in sends if o.announcement_id is not None}
    if not aids:
        return
    a = ANNOUNCEMENTS.c
    current = {
        int(aid): (status, int(rev))
        for aid, status, rev in await session.execute(
            select(a.id, a.status, a.revision).where(a.id.in_(sorted(aids)))
        )
    }
    follow_ups = []
    for o in sends:
        if o.announcement_id is None or o.announcement_id not in current:
            continue
        status, revision = current[o.announcement_id]
        if status == "retracted":
            action = "delete"
        elif revision > o.revision:
            action = "edit"
        else:
            continue
        follow_ups.append(
            {
                "chat_id": o.chat_id, "announcement_id": o.announcement_id, "action": action,
                "state": "pending", "revision": revision, "attempts": 0, "due_at": now,
                "created_at": now, "updated_at": now,
            }
        )
    if follow_ups:
        await session.execute(DELIVERIES.insert(), follow_ups)


async def deactivate_chat(
    session: AsyncSession, *, chat_id: int, reason: str, now: datetime
) -> int:
    """Mark a chat inactive (settings kept) and skip its pending rows; return rows skipped."""
    await session.execute(
        update(CHATS)
        .where(CHATS.c.id == chat_id)
        .values(active=False, inactive_reason=reason, updated_at=now)
    )
    d = DELIVERIES.c
    result = await session.execute(
        update(DELIVERIES)
        .where(d.chat_id == chat_id, d.state == "pending")
        .values(
            state="skipped", error=f"chat inactive: {reason}",
            lease_until=None, lease_owner=None, updated_at=now,
        )
    )
    return _rowcount(result)


async def move_chat(
    session: AsyncSession,
    *,
    chat_id: int,
    new_external_id: str,
    now: datetime,
    delivery_id: int | None = None,
) -> int:
    """Rewrite a chat's platform id; merge into the chat already holding it; return the live id."""
    d, c = DELIVERIES.c, CHATS.c
    if delivery_id is not None:
        # The row that hit the move is retried at once, without spending an attempt.
        await session.execute(
            update(DELIVERIES)
            .where(d.id == delivery_id)
            .values(
                due_at=now, attempts=d.attempts - 1, lease_until=None, lease_owner=None,
                updated_at=now,
            )
        )
    platform = (await session.execute(select(c.platform).where(c.id == chat_id))).scalar_one()
    other = (
        await session.execute(
            select(c.id).where(
                c.platform == platform, c.external_id == new_external_id, c.id != chat_id
            )
        )
    ).scalar_one_or_none()
    if other is None:
        await session.execute(
            update(CHATS)
            .where(c.id == chat_id)
            .values(external_id=new_external_id, updated_at=now)
        )
        return chat_id
    await _merge_chat(session, old=chat_id, new=int(other), now=now)
    return int(other)


async def _merge_chat(session: AsyncSession, *, old: int, new: int, now: datetime) -> None:
    # One name per use: PostgreSQL infers one type per parameter and may disagree between uses.
    params = {"old": old, "new": new, "new2": new, "new3": new}
    await session.execute(
        text(
            "INSERT INTO subscriptions (chat_id, tag_key, tag_name, created_at) "
            "SELECT c.id, s.tag_key, s.tag_name, s.created_at "
            "FROM subscriptions s JOIN chats c ON c.id = :new "
            "WHERE s.chat_id = :old AND NOT EXISTS (SELECT 1 FROM subscriptions t "
            "WHERE t.chat_id = :new2 AND t.tag_key = s.tag_key)"
        ),
        params,
    )
    await session.execute(
        text(
            "UPDATE message_copies SET chat_id = :new WHERE chat_id = :old AND announcement_id "
            "NOT IN (SELECT announcement_id FROM message_copies WHERE chat_id = :new2)"
        ),
        params,
    )
    # A row the surviving chat already has (same content, same action) would be a duplicate.
    await session.execute(
        text(
            "UPDATE deliveries SET state = 'skipped', error = :why "
            "WHERE chat_id = :old AND state = 'pending' AND EXISTS (SELECT 1 FROM deliveries e "
            "WHERE e.chat_id = :new AND e.action = deliveries.action "
            "AND COALESCE(e.announcement_id, 0) = COALESCE(deliveries.announcement_id, 0) "
            "AND COALESCE(e.occurrence_id, 0) = COALESCE(deliveries.occurrence_id, 0) "
            "AND e.revision >= deliveries.revision)"
        ),
        {**params, "why": f"merged into chat {new}"},
    )
    await session.execute(
        update(DELIVERIES)
        .where(DELIVERIES.c.chat_id == old, DELIVERIES.c.state == "pending")
        .values(chat_id=new, lease_until=None, lease_owner=None, updated_at=now)
    )
    await session.execute(
        update(CHATS)
        .where(CHATS.c.id == old)
        .values(active=False, inactive_reason=f"migrated into chat {new}", updated_at=now)
    )


# --- progress and dead letters ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Counts:
    """Delivery rows of one platform by state; `failed` are pending rows retrying after errors."""

    sent: int = 0
    pending: int = 0
    failed: int = 0
    dead: int = 0
    skipped: int = 0

    @property
    def total(self) -> int:
        """Every row."""
        return self.sent + self.pending + self.failed + self.dead + self.skipped

    @property
    def open(self) -> int:
        """Rows still to be carried out."""
        return self.pending + self.failed

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.sent + other.sent, self.pending + other.pending, self.failed + other.failed,
            self.dead + other.dead, self.skipped + other.skipped,
        )


async def stats(
    session: AsyncSession, *, announcement_id: int | None = None, action: str | None = "send"
) -> dict[str, Counts]:
    """Counts per platform for one announcement (or every row), for one action (or all)."""
    d, c = DELIVERIES.c, CHATS.c
    failing = and_(d.state == "pending", d.error.is_not(None))
    query = (
        select(c.platform, d.state, failing.label("failing"), func.count())
        .select_from(DELIVERIES.join(CHATS, c.id == d.chat_id))
        .group_by(c.platform, d.state, failing)
    )
    if announcement_id is not None:
        query = query.where(d.announcement_id == announcement_id)
    if action is not None:
        query = query.where(d.action == action)
    found: dict[str, dict[str, int]] = {}
    for platform, state, is_failing, count in await session.execute(query):
        bucket = found.setdefault(platform, {})
        key = "failed" if state == "pending" and is_failing else state
        bucket[key] = bucket.get(key, 0) + int(count)
    return {
        platform: Counts(
            sent=b.get("sent", 0), pending=b.get("pending", 0), failed=b.get("failed", 0),
            dead=b.get("dead", 0), skipped=b.get("skipped", 0),
        )
        for platform, b in sorted(found.items())
    }


@dataclass(frozen=True, slots=True)
class DeadRow:
    """A dead-lettered delivery, for listing and retrying."""

    id: int
    platform: str
    external_id: str
    action: str
    announcement_id: int | None
    occurrence_id: int | None
    attempts: int
    error: str | None
    updated_at: datetime


async def dead_rows(session: AsyncSession, *, limit: int = 100) -> list[DeadRow]:
    """The newest dead-lettered rows."""
    d, c = DELIVERIES.c, CHATS.c
    rows = await session.execute(
        select(
            d.id, c.platform, c.external_id, d.action, d.announcement_id, d.occurrence_id,
            d.attempts, d.error, d.updated_at,
        )
        .select_from(DELIVERIES.join(CHATS, c.id == d.chat_id))
        .where(d.state == "dead")
        .order_by(d.updated_at.desc(), d.id.desc())
        .limit(limit)
    )
    return [DeadRow(*row) for row in rows]


async def retry_dead(
    session: AsyncSession, *, now: datetime, ids: Sequence[int] | None = None
) -> int:
    """Put dead rows (these ids, or all when None) back in the queue with fresh attempts."""
    d = DELIVERIES.c
    statement = update(DELIVERIES).where(d.state == "dead")
    if ids is not None:
        statement = statement.where(d.id.in_(list(ids)))
    result = await session.execute(
        statement.values(
            state="pending", attempts=0, due_at=now, error=None,
            lease_until=None, lease_owner=None, updated_at=now,
        )
    )
    return _rowcount(result)
