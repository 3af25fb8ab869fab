"""Managing the society's anniversaries and telling which come next."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import time
from zoneinfo import ZoneInfo

from bot.domain import Anniversary, AnniversaryFields
from bot.ports import Clock
from bot.ports.stores import AnniversaryStore
from bot.schedule.occurrences import LeapPolicy, Occurrence, Rule, next_occurrence

__all__ = ["AnniversaryFields", "AnniversaryService", "Upcoming"]


@dataclass(frozen=True, slots=True)
class Upcoming:
    """An anniversary's next day, with days left counted in its own timezone."""

    anniversary: Anniversary
    occurrence: Occurrence
    days_left: int


class AnniversaryService:
    """Anniversary use cases; `changed` tells the scheduler to rebuild its jobs."""

    def __init__(
        self,
        store: AnniversaryStore,
        clock: Clock,
        *,
        zone: ZoneInfo,
        at: time,
        reminder_days: tuple[int, ...],
        policy: LeapPolicy,
        changed: Callable[[], None] = lambda: None,
    ) -> None:
        self._store = store
        self._clock = clock
        self.zone = zone
        self.at = at
        self.reminder_days = reminder_days
        self.policy = policy
        self._changed = changed

    async def add(self, fields: AnniversaryFields, *, actor: str) -> Anniversary:
        """Keep a new date."""
        self._validate(fields)
        added = await self._store.add(fields, actor=actor, now=self._clock.now())
        self._changed()
        return added

    async def update(
        self, anniversary_id: int, fields: AnniversaryFields, *, actor: str
    ) -> Anniversary | None:
        """Change a kept date; None when there is no such anniversary."""
        self._validate(fields)
        updated = await self._store.update(
            anniversary_id, fields, actor=actor, now=self._clock.now()
        )
        self._changed()
        return updated

    async def remove(self, anniversary_id: int, *, actor: str) -> bool:
        """Stop keeping a date."""
        removed = await self._store.remove(anniversary_id, actor=actor, now=self._clock.now())
        self._changed()
        return removed

    async def get(self, anniversary_id: int) -> Anniversary | None:
        """One anniversary."""
        return await self._store.get(anniversary_id)

    async def all(self) -> list[Anniversary]:
        """Every anniversary in calendar order."""
        return await self._store.all()

    def rule(self, anniversary: Anniversary) -> Rule:
        """The calendar rule for an anniversary, defaults filled in from settings."""
        at = time.fromisoformat(anniversary.time_of_day) if anniversary.time_of_day else self.at
        zone = ZoneInfo(anniversary.timezone) if anniversary.timezone else self.zone
        days = (
            anniversary.reminder_days
            if anniversary.reminder_days is not None
            else self.reminder_days
        )
        return Rule.build(
            anniversary.id,
            anniversary.month,
            anniversary.day,
            anniversary.year,
            at=at,
            tz=zone,
            reminder_days=days,
        )

    async def upcoming(self, limit: int = 10) -> list[Upcoming]:
        """The next anniversaries, soonest first."""
        now = self._clock.now()
        found: list[Upcoming] = []
        for anniversary in await self._store.all():
            rule = self.rule(anniversary)
            day_rule = Rule(
                rule.anniversary_id, rule.month, rule.day, rule.year, rule.at, rule.tz, ()
            )
            occurrence = next_occurrence(day_rule, now, self.policy)
            if occurrence is None:
                continue
            today = now.astimezone(rule.tz).date()
            found.append(Upcoming(anniversary, occurrence, (occurrence.occurs_on - today).days))
        found.sort(key=lambda u: u.occurrence.fire_at)
        return found[:limit]

    def _validate(self, fields: AnniversaryFields) -> None:
        Rule.build(
            0,
            fields.month,
            fields.day,
            fields.year,
            at=fields.time_of_day or self.at,
            tz=fields.timezone or self.zone,
            reminder_days=fields.reminder_days or (),
        )
