"""Helpers for the scheduler tests: building services over the test database, seeding chats."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain import EVERYTHING, Anniversary, ChatKind, ChatRef
from bot.ports import ManualClock
from bot.schedule.occurrences import LeapPolicy
from bot.schedule.scheduler import HeraldScheduler
from bot.services.anniversaries import AnniversaryFields, AnniversaryService
from bot.services.announcements import AnnouncementService
from storage.engine import DATABASE_ERRORS
from storage.leadership import AdvisoryLock
from storage.models import DeliveryRow, OccurrenceRow
from storage.repository import Repository

OWNER = "console:owner"
GRACE = timedelta(hours=12)

# The Russian and Korean texts proposed for the lead's catalogs (also in the report).
PROPOSED: dict[str, dict[str, str]] = {
    "ru": {
        "Today is the {ordinal} anniversary of {title}": "Сегодня {ordinal} годовщина: {title}",
        "Today we remember {title}": "Сегодня мы вспоминаем: {title}",
        "Tomorrow: the {ordinal} anniversary of {title} ({date})":
            "Завтра {ordinal} годовщина: {title} ({date})",
        "Tomorrow: {title} ({date})": "Завтра: {title} ({date})",
        "In {days} days: the {ordinal} anniversary of {title} ({date})":
            "Через {days} дн.: {ordinal} годовщина — {title} ({date})",
        "In {days} days: {title} ({date})": "Через {days} дн.: {title} ({date})",
        "★ {text} — a jubilee": "★ {text} — юбилей",
        "More: /show {id}": "Подробнее: /show {id}",
    },
    "ko": {
        "Today is the {ordinal} anniversary of {title}": "오늘은 {title} {ordinal}입니다",
        "Today we remember {title}": "오늘 우리는 기억합니다: {title}",
        "Tomorrow: the {ordinal} anniversary of {title} ({date})":
            "내일은 {title} {ordinal}입니다 ({date})",
        "Tomorrow: {title} ({date})": "내일: {title} ({date})",
        "In {days} days: the {ordinal} anniversary of {title} ({date})":
            "{days}일 후: {title} {ordinal} ({date})",
        "In {days} days: {title} ({date})": "{days}일 후: {title} ({date})",
        "★ {text} — a jubilee": "★ {text} — 주년 기념",
        "More: /show {id}": "자세히: /show {id}",
    },
}


def proposed(language: str, message: str, /, **values: object) -> str:
    """`bot.i18n.translate` over the proposed catalogs."""
    text = PROPOSED.get(language, {}).get(message, message)
    return text.format(**values) if values else text


@dataclass
class Wakes:
    """Counts the delivery engine's wake-ups."""

    count: int = 0
    event: asyncio.Event = field(default_factory=asyncio.Event)

    def __call__(self) -> None:
        self.count += 1
        self.event.set()


@dataclass
class Herald:
    """The pieces a scheduler test drives."""

    repo: Repository
    engine: AsyncEngine
    clock: ManualClock
    anniversaries: AnniversaryService
    announcements: AnnouncementService
    wakes: Wakes
    grace: timedelta = GRACE
    language: str = "en"
    # Called after every anniversary change (what the composition root wires to rebuild()).
    listeners: list[Callable[[], None]] = field(default_factory=list)
    schedulers: list[HeraldScheduler] = field(default_factory=list)

    def scheduler(
        self, *, sweep_seconds: float = 30.0, lock_retry_seconds: float = 15.0
    ) -> HeraldScheduler:
        """Another scheduler instance over the same database (a second replica)."""
        scheduler = HeraldScheduler(
            occurrences=self.repo.occurrences,
            leadership=AdvisoryLock(self.engine),
            anniversaries=self.anniversaries,
            announcements=self.announcements,
            clock=self.clock,
            grace=self.grace,
            language=self.language,
            notify=self.wakes,
            sweep_seconds=sweep_seconds,
            lock_retry_seconds=lock_retry_seconds,
            database_errors=DATABASE_ERRORS,
        )
        self.schedulers.append(scheduler)
        return scheduler

    async def restart(self) -> HeraldScheduler:
        """Stop every scheduler (releasing the lock) and start a fresh instance."""
        await self.close()
        return self.scheduler()

    async def close(self) -> None:
        """Stop every scheduler this test made."""
        while self.schedulers:
            await self.schedulers.pop().stop()

    async def add(
        self,
        title: str,
        month: int,
        day: int,
        year: int | None = None,
        *,
        at: str | None = None,
        zone: str | None = None,
        tags: Sequence[str] = (),
        reminders: tuple[int, ...] | None = None,
        text: str | None = None,
    ) -> Anniversary:
        """Keep a date."""
        fields = AnniversaryFields(
            title=title, month=month, day=day, year=year, time_of_day=at, timezone=zone,
            tags=tuple(tags), reminder_days=reminders, text=text,
        )
        return await self.anniversaries.add(fields, actor=OWNER)

    async def chat(
        self, external_id: str, *, everything: bool = False, tags: Sequence[str] = ()
    ) -> int:
        """An active chat subscribed to everything and/or tag keys; its row id."""
        found = await self.repo.chats.ensure(
            ChatRef("telegram", external_id, ChatKind.GROUP, external_id), now=self.clock.now()
        )
        wanted = ([(EVERYTHING, "")] if everything else []) + [(key, key) for key in tags]
        if wanted:
            await self.repo.chats.subscribe(found.id, wanted, now=self.clock.now())
        return found.id

    async def occurrences(self) -> list[OccurrenceRow]:
        """Every claimed occurrence row, in id order."""
        async with self.repo.sessions() as session:
            query = select(OccurrenceRow).order_by(OccurrenceRow.id)
            return list((await session.scalars(query)).all())

    async def deliveries(self) -> list[tuple[int, int | None, int | None]]:
        """(chat id, occurrence id, announcement id) of every send row."""
        async with self.repo.sessions() as session:
            rows = await session.execute(
                select(DeliveryRow.chat_id, DeliveryRow.occurrence_id, DeliveryRow.announcement_id)
                .where(DeliveryRow.action == "send")
                .order_by(DeliveryRow.id)
            )
            return [(int(c), o, a) for c, o, a in rows]


def build(
    repo: Repository,
    engine: AsyncEngine,
    clock: ManualClock,
    *,
    zone: str = "UTC",
    at: time = time(9, 0),
    reminder_days: tuple[int, ...] = (),
    policy: LeapPolicy = LeapPolicy.FEB_28,
    grace: timedelta = GRACE,
    language: str = "en",
) -> Herald:
    """Services and a wake counter over the test database."""
    wakes = Wakes()
    listeners: list[Callable[[], None]] = []

    def changed() -> None:
        for listener in listeners:
            listener()

    anniversaries = AnniversaryService(
        repo.anniversaries, clock, zone=ZoneInfo(zone), at=at, reminder_days=reminder_days,
        policy=policy, changed=changed,
    )
    announcements = AnnouncementService(repo.announcements, clock, notify=wakes)
    return Herald(
        repo, engine, clock, anniversaries, announcements, wakes, grace, language, listeners
    )
