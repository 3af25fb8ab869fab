"""Anniversary calendar rules: when each yearly occurrence and reminder fires, in UTC.

Rules:
- 29 February falls on 28 February (or 1 March, by policy) in common years.
- A local time that does not exist (spring-forward gap) fires at the moment the clocks jump.
- A local time that happens twice (fall-back) fires once, at its first occurrence.
- An anniversary with a known year Y fires for years after Y only (the 1st anniversary first).
- Reminders fire N days before the anniversary's local date, at the same local time.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

DAY = "day"
MAX_REMINDER_DAYS = 366
# The longest stretch between two day occurrences: a leap year plus a DST shift and a margin.
_SEARCH_SPAN = timedelta(days=800)
_LAST_YEAR = date.max.year - 1


class LeapPolicy(StrEnum):
    """Where 29 February falls in a common year."""

    FEB_28 = "feb28"
    MAR_1 = "mar1"


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One firing: an anniversary's day or a reminder before it."""

    anniversary_id: int
    occurs_on: date
    kind: str
    fire_at: datetime
    years: int | None


@dataclass(frozen=True, slots=True)
class Rule:
    """What the calendar needs to know about one anniversary."""

    anniversary_id: int
    month: int
    day: int
    year: int | None
    at: time
    tz: ZoneInfo
    reminder_days: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        _check_month_day(self.month, self.day)
        if self.at.tzinfo is not None:
            raise ValueError("the time of day must be a local wall time without tzinfo")
        for days in self.reminder_days:
            if not 1 <= days <= MAX_REMINDER_DAYS:
                raise ValueError(f"reminder days must be 1..{MAX_REMINDER_DAYS}, got {days}")
        if len(set(self.reminder_days)) != len(self.reminder_days):
            raise ValueError(f"duplicate reminder days: {self.reminder_days}")

    @classmethod
    def build(
        cls,
        anniversary_id: int,
        month: int,
        day: int,
        year: int | None,
        *,
        at: time | str,
        tz: ZoneInfo | str,
        reminder_days: tuple[int, ...] | list[int] = (),
    ) -> Rule:
        """Build a rule from stored values: "HH:MM" times, IANA names, unsorted reminders."""
        wall = time.fromisoformat(at) if isinstance(at, str) else at
        zone = ZoneInfo(tz) if isinstance(tz, str) else tz
        days = tuple(sorted(set(reminder_days), reverse=True))
        return cls(anniversary_id, month, day, year, wall.replace(fold=0), zone, days)


def kind_before(days: int) -> str:
    """The kind of a reminder `days` days before the anniversary ("before:7")."""
    return f"before:{days}"


def _check_month_day(month: int, day: int) -> None:
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1..12, got {month}")
    longest = calendar.monthrange(2000, month)[1]  # 2000 is a leap year: 29 Feb is valid
    if not 1 <= day <= longest:
        raise ValueError(f"day must be 1..{longest} for month {month}, got {day}")


def occurrence_date(month: int, day: int, year: int, policy: LeapPolicy) -> date:
    """The anniversary's date in `year`, moving 29 February by `policy` in common years."""
    _check_month_day(month, day)
    if month == 2 and day == 29 and not calendar.isleap(year):
        return date(year, 2, 28) if policy is LeapPolicy.FEB_28 else date(year, 3, 1)
    return date(year, month, day)


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of wall time `at` on `day` in `tz` (gap: the jump; overlap: the first)."""
    if at.tzinfo is not None:
        raise ValueError("the time of day must be a local wall time without tzinfo")
    wall = datetime.combine(day, at.replace(fold=0), tzinfo=tz)
    instant = wall.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == wall.replace(tzinfo=None):
        return instant
    # The wall time falls in a gap: fold=1 reads it with the offset after the jump, fold=0
    # with the one before, so the jump lies between the two readings. Find its second.
    low = wall.replace(fold=1).astimezone(UTC)
    high = instant
    after = high.astimezone(tz).utcoffset()
    lo_s, hi_s = int(low.timestamp()), int(high.timestamp())
    while lo_s + 1 < hi_s:
        mid = (lo_s + hi_s) // 2
        if datetime.fromtimestamp(mid, tz).utcoffset() == after:
            hi_s = mid
        else:
            lo_s = mid
    return datetime.fromtimestamp(hi_s, UTC)


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got naive {value.isoformat()}")


def _occurrences_in_year(rule: Rule, year: int, policy: LeapPolicy) -> list[Occurrence]:
    occurs_on = occurrence_date(rule.month, rule.day, year, policy)
    years = year - rule.year if rule.year is not None and year - rule.year > 0 else None
    found = [
        Occurrence(
            rule.anniversary_id, occurs_on, DAY, local_instant(occurs_on, rule.at, rule.tz), years
        )
    ]
    for days in rule.reminder_days:
        fire_on = occurs_on - timedelta(days=days)
        fire_at = local_instant(fire_on, rule.at, rule.tz)
        found.append(Occurrence(rule.anniversary_id, occurs_on, kind_before(days), fire_at, years))
    return found


def occurrences_between(
    rule: Rule, start: datetime, end: datetime, policy: LeapPolicy
) -> list[Occurrence]:
    """Every occurrence and reminder of `rule` with `start <= fire_at < end`, by fire time."""
    _require_aware("start", start)
    _require_aware("end", end)
    if start >= end:
        return []
    lead = timedelta(days=max(rule.reminder_days, default=0) + 2)
    first = max(start.astimezone(UTC).year - 1, date.min.year + 1)
    last = min(end.astimezone(UTC).year + 1 + lead.days // 365, _LAST_YEAR)
    if rule.year is not None:
        first = max(first, rule.year + 1)
    found = [
        occurrence
        for year in range(first, last + 1)
        for occurrence in _occurrences_in_year(rule, year, policy)
        if start <= occurrence.fire_at < end
    ]
    return sorted(found, key=lambda o: (o.fire_at, o.occurs_on, o.kind))


def next_occurrence(rule: Rule, after: datetime, policy: LeapPolicy) -> Occurrence | None:
    """The first occurrence or reminder of `rule` that fires strictly after `after`."""
    _require_aware("after", after)
    start = after + timedelta(microseconds=1)
    if rule.year is not None and rule.year + 1 >= start.astimezone(UTC).year:
        # A date in the future: skip to the earliest firing of its first anniversary.
        if rule.year + 1 > _LAST_YEAR:
            return None
        first = occurrence_date(rule.month, rule.day, rule.year + 1, policy)
        lead = timedelta(days=max(rule.reminder_days, default=0))
        start = max(start, local_instant(first - lead, rule.at, rule.tz))
    if start.astimezone(UTC).year > _LAST_YEAR - 3:
        return None
    found = occurrences_between(rule, start, start + _SEARCH_SPAN, policy)
    return found[0] if found else None
