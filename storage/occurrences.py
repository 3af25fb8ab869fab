"""Anniversary firings: claimed once by a unique row, their deliveries written beside it."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import KeptAnniversary
from bot.ports.stores import OccurrenceKey
from storage import convert
from storage.models import AnniversaryRow, AnnouncementRow, OccurrenceRow
from storage.outbox import enqueue_occurrence


@dataclass(frozen=True, slots=True)
class Fired:
    """A claimed occurrence row."""

    id: int
    anniversary_id: int
    occurs_on: date
    kind: str
    fired_at: datetime
    title: str
    body: str


async def claim_occurrence(
    sessions: async_sessionmaker[AsyncSession],
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
    """Claim one firing and enqueue its sends in one transaction; None when already claimed.

    `title`/`body` are in the society's language; `translations` gives (title, body) per
    language, so each chat is sent the firing in its own.
    """
    values = {
        "anniversary_id": anniversary_id,
        "occurs_on": occurs_on,
        "kind": kind,
        "fired_at": now,
        "title": title,
        "body": body,
        "translations": _json(translations),
    }
    async with sessions.begin() as session:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        # ON CONFLICT DO NOTHING: a second claimer (restart, replica) gets no row back and
        # writes nothing, instead of failing its transaction on the unique key.
        statement = (
            insert(OccurrenceRow)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["anniversary_id", "occurs_on", "kind"])
            .returning(OccurrenceRow.id)
        )
        occurrence_id = (await session.execute(statement)).scalar_one_or_none()
        if occurrence_id is None:
            return None
        await enqueue_occurrence(
            session, occurrence_id=int(occurrence_id), tag_keys=tag_keys, now=now
        )
        return int(occurrence_id)


def _json(translations: Mapping[str, tuple[str, str]] | None) -> str | None:
    if not translations:
        return None
    return json.dumps({lang: list(pair) for lang, pair in translations.items()}, ensure_ascii=False)


async def kept_anniversaries(sessions: async_sessionmaker[AsyncSession]) -> list[KeptAnniversary]:
    """Every anniversary with its creation instant, by id."""
    async with sessions() as session:
        rows = (await session.scalars(select(AnniversaryRow).order_by(AnniversaryRow.id))).all()
        return [KeptAnniversary(convert.anniversary(row), row.created_at) for row in rows]


async def claimed_keys(
    sessions: async_sessionmaker[AsyncSession],
    *,
    anniversary_ids: Collection[int],
    first: date,
    last: date,
) -> set[OccurrenceKey]:
    """The (anniversary, date, kind) already claimed for these anniversaries and dates."""
    if not anniversary_ids:
        return set()
    o = OccurrenceRow
    async with sessions() as session:
        rows = await session.execute(
            select(o.anniversary_id, o.occurs_on, o.kind).where(
                o.anniversary_id.in_(sorted(anniversary_ids)),
                o.occurs_on >= first,
                o.occurs_on <= last,
            )
        )
        return {(int(aid), day, kind) for aid, day, kind in rows}


async def fired(
    sessions: async_sessionmaker[AsyncSession], *, anniversary_id: int | None = None
) -> list[Fired]:
    """Claimed occurrences (of one anniversary, or all), oldest first."""
    o = OccurrenceRow
    query = select(o).order_by(o.fired_at, o.id)
    if anniversary_id is not None:
        query = query.where(o.anniversary_id == anniversary_id)
    async with sessions() as session:
        rows = (await session.scalars(query)).all()
        return [
            Fired(r.id, r.anniversary_id, r.occurs_on, r.kind, r.fired_at, r.title, r.body)
            for r in rows
        ]


async def count_fired(sessions: async_sessionmaker[AsyncSession]) -> int:
    """How many occurrences were ever claimed."""
    async with sessions() as session:
        query = select(func.count()).select_from(OccurrenceRow)
        return int((await session.execute(query)).scalar_one())


async def posts_due(sessions: async_sessionmaker[AsyncSession], *, now: datetime) -> bool:
    """Whether a scheduled announcement is due: a cheap read before the claiming write."""
    a = AnnouncementRow
    async with sessions() as session:
        found = await session.execute(
            select(a.id).where(a.status == "scheduled", a.publish_at <= now).limit(1)
        )
        return found.first() is not None


class OccurrenceStore:
    """What the scheduler reads and claims, over one session factory (bot.ports.stores)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def kept_anniversaries(self) -> list[KeptAnniversary]:
        """Every anniversary with its creation instant, by id."""
        return await kept_anniversaries(self._sessions)

    async def claimed_keys(
        self, *, anniversary_ids: Collection[int], first: date, last: date
    ) -> set[OccurrenceKey]:
        """The (anniversary, date, kind) already claimed for these anniversaries and dates."""
        return await claimed_keys(
            self._sessions, anniversary_ids=anniversary_ids, first=first, last=last
        )

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
        return await claim_occurrence(
            self._sessions, anniversary_id=anniversary_id, occurs_on=occurs_on, kind=kind,
            title=title, body=body, tag_keys=tag_keys, now=now, translations=translations,
        )

    async def posts_due(self, *, now: datetime) -> bool:
        """Whether a scheduled announcement is due: a cheap read before the claiming write."""
        return await posts_due(self._sessions, now=now)
