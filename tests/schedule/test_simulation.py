"""Ten simulated years across four timezones, with restarts: every occurrence fires once, on time.

The clock is driven to each instant the scheduler plans to wake at (what its APScheduler jobs
would do), one second before it too (nothing may fire early), and to random restart
instants where a fresh scheduler instance takes over, sometimes after hours of downtime.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain import Anniversary
from bot.ports import ManualClock
from bot.schedule.occurrences import DAY

from .conftest import Make
from .support import Herald

YEARS = 10
START = datetime(2026, 8, 14, 12, 0, tzinfo=UTC)
END = datetime(2026 + YEARS, 8, 14, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
NEW_YORK, BERLIN, SEOUL, MOSCOW = "America/New_York", "Europe/Berlin", "Asia/Seoul", "Europe/Moscow"


@dataclass(frozen=True)
class Kept:
    """An anniversary of the simulation and the local wall time it should fire at."""

    anniversary: Anniversary
    zone: ZoneInfo
    at: time


async def keep(herald: Herald) -> list[Kept]:
    """A spread of dates: years and none, reminders, DST nights, 29 February, near midnight."""
    specs: list[tuple[str, int, int, int | None, str, str, tuple[int, ...] | None, list[str]]] = [
        ("Independence", 7, 4, 1776, "09:00", NEW_YORK, (7, 1), ["history"]),
        ("Spring forward", 3, 10, None, "02:30", NEW_YORK, None, []),  # a gap in 2030 and 2035
        ("Fall back", 11, 3, 1990, "01:30", NEW_YORK, (1,), []),  # an overlap in 2030 and 2035
        ("Leap", 2, 29, 1996, "23:30", NEW_YORK, (1,), ["history"]),
        ("Reunification", 10, 3, 1990, "09:00", BERLIN, (7, 1), ["history"]),
        ("Sommerzeit", 3, 31, None, "02:30", BERLIN, None, []),  # a gap in 2030 and 2035
        ("Winterzeit", 10, 27, 2000, "02:30", BERLIN, None, []),  # an overlap in 2030, 2035
        ("Hangul Day", 10, 9, 1446, "09:00", SEOUL, (7, 1), ["korea"]),
        ("Liberation", 8, 15, 1945, "00:15", SEOUL, None, ["korea", "history"]),
        ("Seoul leap", 2, 29, None, "09:00", SEOUL, (1,), ["korea"]),
        ("Victory Day", 5, 9, 1945, "09:00", MOSCOW, (7, 1), ["history"]),
        ("New Year", 1, 1, None, "00:00", MOSCOW, (1,), []),
    ]
    kept = []
    for title, month, day, year, at, zone, reminders, tags in specs:
        added = await herald.add(
            title, month, day, year, at=at, zone=zone, reminders=reminders, tags=tags
        )
        kept.append(Kept(added, ZoneInfo(zone), time.fromisoformat(at)))
    return kept


def restarts(seed: int, count: int, downtime: timedelta) -> list[tuple[datetime, datetime]]:
    """(down at, up again at) for `count` restarts at random instants."""
    rng = random.Random(seed)
    span = (END - START).total_seconds()
    downs = sorted(START + timedelta(seconds=rng.uniform(0, span)) for _ in range(count))
    return [(down, down + downtime * rng.random()) for down in downs]


@pytest.mark.parametrize(
    ("seed", "downtime"), [(1, timedelta(0)), (2, timedelta(hours=6))], ids=["instant", "down"]
)
async def test_ten_years_fire_every_occurrence_exactly_once_on_time(
    make: Make, clock: ManualClock, seed: int, downtime: timedelta
) -> None:
    clock.set(START)
    herald = make(reminder_days=(3,), grace=timedelta(hours=12))
    everything = await herald.chat("all", everything=True)
    korea = await herald.chat("korea", tags=["korea"])
    kept = await keep(herald)
    pending = restarts(seed, 25, downtime)
    rng = random.Random(seed)
    outages: list[tuple[datetime, datetime]] = []

    scheduler = await herald.restart()
    assert await scheduler.tick() == 0
    ticks = 0
    while True:
        plan = await scheduler.plan()
        wake = min(o.fire_at for o in plan.values())
        if pending and pending[0][0] <= wake:
            down, up = pending.pop(0)
            outages.append((down, up))
            clock.set(up)
            scheduler = await herald.restart()
            await scheduler.tick()
            assert scheduler.leading, "the lock was handed over at the restart"
            continue
        if wake >= END:
            break
        if downtime and rng.random() < 0.05:
            # Crash a minute before a firing; come back within the grace window.
            pending.insert(0, (wake - timedelta(minutes=1), wake + downtime * rng.random()))
            continue
        if ticks % 3 == 0:
            clock.set(wake - SECOND)
            assert await scheduler.tick() == 0, f"something fired early, before {wake}"
        clock.set(wake)
        due = [o for o in plan.values() if o.fire_at == wake]
        assert await scheduler.tick() == len(due)
        ticks += 1
    assert ticks > 250

    rows = await herald.occurrences()
    by_id = {k.anniversary.id: k for k in kept}
    kinds = Counter((row.anniversary_id, row.kind) for row in rows)
    for k in kept:
        days = k.anniversary.reminder_days
        for kind in [DAY] + [f"before:{d}" for d in (days if days is not None else (3,))]:
            assert kinds[(k.anniversary.id, kind)] == YEARS, (k.anniversary.title, kind)
    assert sum(kinds.values()) == len(rows)
    assert len({(r.anniversary_id, r.occurs_on, r.kind) for r in rows}) == len(rows)

    late = 0
    for row in rows:
        k = by_id[row.anniversary_id]
        outage = next((o for o in outages if o[0] < row.fired_at <= o[1]), None)
        local = row.fired_at.astimezone(k.zone)
        if outage is not None and row.fired_at == outage[1] and local.time() != k.at:
            late += 1
            assert row.fired_at - outage[0] <= downtime
            continue
        assert _on_time(k, local), (k.anniversary.title, row.kind, local.isoformat())
    if downtime:
        assert late > 0, "some restart should have caught up a missed occurrence"
    else:
        assert late == 0

    # The DST nights of 2030 (New York and Berlin spring forward and fall back that Sunday).
    fired_at = {
        (by_id[r.anniversary_id].anniversary.title, r.occurs_on.isoformat(), r.kind): r.fired_at
        for r in rows
    }
    if not downtime:
        _dst_nights(fired_at)

    sends = await herald.deliveries()
    per_occurrence = Counter(o for _, o, _ in sends)
    for row in rows:
        tags = set(by_id[row.anniversary_id].anniversary.tags)
        assert per_occurrence[row.id] == (2 if "korea" in tags else 1), row.title
    assert {c for c, _, _ in sends} == {everything, korea}


def _on_time(k: Kept, local: datetime) -> bool:
    """The anniversary's local wall time (the first of a repeated hour), or the end of a gap."""
    if local.time() == k.at:
        hour_before = (local.astimezone(UTC) - timedelta(hours=1)).astimezone(k.zone)
        return hour_before.replace(tzinfo=None) != local.replace(tzinfo=None)
    wall = datetime.combine(local.date(), k.at, tzinfo=k.zone)
    # Not a real wall time: it fires when the clocks jump past it (to 03:00).
    exists = wall.astimezone(UTC).astimezone(k.zone).replace(tzinfo=None) == wall.replace(
        tzinfo=None
    )
    return not exists and local.time() == time(3, 0)


def _dst_nights(fired_at: dict[tuple[str, str, str], datetime]) -> None:
    """02:30 in a gap fires when the clocks jump; 01:30/02:30 in an overlap at the first."""
    assert fired_at[("Spring forward", "2030-03-10", DAY)] == datetime(2030, 3, 10, 7, tzinfo=UTC)
    assert fired_at[("Fall back", "2030-11-03", DAY)] == datetime(2030, 11, 3, 5, 30, tzinfo=UTC)
    assert fired_at[("Sommerzeit", "2030-03-31", DAY)] == datetime(2030, 3, 31, 1, tzinfo=UTC)
    assert fired_at[("Winterzeit", "2030-10-27", DAY)] == datetime(2030, 10, 27, 0, 30, tzinfo=UTC)
