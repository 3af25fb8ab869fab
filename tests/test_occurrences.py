"""Anniversary calendar rules: leap days, DST gaps and overlaps, reminders, exactly-once sweeps."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.schedule.occurrences import (
    LeapPolicy,
    Occurrence,
    Rule,
    kind_before,
    local_instant,
    next_occurrence,
    occurrence_date,
    occurrences_between,
)

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
SEOUL = ZoneInfo("Asia/Seoul")
MOSCOW = ZoneInfo("Europe/Moscow")
ZONES = (NEW_YORK, BERLIN, SEOUL, MOSCOW)
FEB28, MAR1 = LeapPolicy.FEB_28, LeapPolicy.MAR_1


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def wall_exists(day: date, at: time, tz: ZoneInfo) -> bool:
    wall = datetime.combine(day, at, tzinfo=tz)
    return wall.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall.replace(tzinfo=None)


# --- leap day ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "dates_text"),
    [
        (
            FEB28,
            "2024-02-29 2025-02-28 2026-02-28 2027-02-28 "
            "2028-02-29 2029-02-28 2030-02-28 2031-02-28",
        ),
        (
            MAR1,
            "2024-02-29 2025-03-01 2026-03-01 2027-03-01 "
            "2028-02-29 2029-03-01 2030-03-01 2031-03-01",
        ),
    ],
)
def test_feb_29_over_eight_years(policy: LeapPolicy, dates_text: str) -> None:
    expected = dates_text.split()
    dates = [occurrence_date(2, 29, year, policy).isoformat() for year in range(2024, 2032)]
    assert dates == expected
    rule = Rule.build(1, 2, 29, 2020, at="09:00", tz=SEOUL)
    found = occurrences_between(rule, utc(2024, 1, 1), utc(2032, 1, 1), policy)
    assert [o.occurs_on.isoformat() for o in found] == expected
    assert [o.years for o in found] == list(range(4, 12))
    assert all(o.fire_at.astimezone(SEOUL).time() == time(9, 0) for o in found)


def test_feb_29_reminder_in_a_common_year_under_each_policy() -> None:
    rule = Rule.build(1, 2, 29, None, at="10:00", tz=BERLIN, reminder_days=[1])
    feb28 = occurrences_between(rule, utc(2027, 1, 1), utc(2028, 1, 1), FEB28)
    mar1 = occurrences_between(rule, utc(2027, 1, 1), utc(2028, 1, 1), MAR1)
    assert [(o.kind, o.fire_at) for o in feb28] == [
        ("before:1", utc(2027, 2, 27, 9)),
        ("day", utc(2027, 2, 28, 9)),
    ]
    assert [(o.kind, o.fire_at) for o in mar1] == [
        ("before:1", utc(2027, 2, 28, 9)),
        ("day", utc(2027, 3, 1, 9)),
    ]


@pytest.mark.parametrize(("month", "day"), [(0, 1), (13, 1), (1, 0), (1, 32), (4, 31), (2, 30)])
def test_invalid_month_or_day(month: int, day: int) -> None:
    with pytest.raises(ValueError, match=r"month|day"):
        occurrence_date(month, day, 2026, FEB28)
    with pytest.raises(ValueError, match=r"month|day"):
        Rule.build(1, month, day, None, at="09:00", tz=SEOUL)


# --- local time ---------------------------------------------------------------


def test_new_york_spring_forward_gap_fires_when_clocks_jump() -> None:
    assert not wall_exists(date(2026, 3, 8), time(2, 30), NEW_YORK)
    fired = local_instant(date(2026, 3, 8), time(2, 30), NEW_YORK)
    assert fired == utc(2026, 3, 8, 7, 0)
    assert fired.astimezone(NEW_YORK).strftime("%H:%M %Z") == "03:00 EDT"


def test_new_york_fall_back_overlap_fires_once_at_the_first() -> None:
    rule = Rule.build(1, 11, 1, None, at="01:30", tz=NEW_YORK)
    found = occurrences_between(rule, utc(2026, 10, 31), utc(2026, 11, 3), FEB28)
    assert [o.fire_at for o in found] == [utc(2026, 11, 1, 5, 30)]
    assert found[0].fire_at.astimezone(NEW_YORK).strftime("%H:%M %Z") == "01:30 EDT"


def test_berlin_gap_and_overlap() -> None:
    assert local_instant(date(2026, 3, 29), time(2, 30), BERLIN) == utc(2026, 3, 29, 1, 0)
    assert local_instant(date(2026, 10, 25), time(2, 30), BERLIN) == utc(2026, 10, 25, 0, 30)
    assert local_instant(date(2026, 10, 25), time(3, 0), BERLIN) == utc(2026, 10, 25, 2, 0)


def test_gap_edges() -> None:
    # The first minute of the gap and the first valid minute after it fire together.
    assert local_instant(date(2026, 3, 8), time(2, 0), NEW_YORK) == utc(2026, 3, 8, 7, 0)
    assert local_instant(date(2026, 3, 8), time(3, 0), NEW_YORK) == utc(2026, 3, 8, 7, 0)
    assert local_instant(date(2026, 3, 8), time(1, 59), NEW_YORK) == utc(2026, 3, 8, 6, 59)


def test_unusual_gaps() -> None:
    # Samoa skipped 30 December 2011 entirely; Lord Howe moves by 30 minutes.
    apia = local_instant(date(2011, 12, 30), time(9, 0), ZoneInfo("Pacific/Apia"))
    assert apia == utc(2011, 12, 30, 10, 0)
    lord_howe = ZoneInfo("Australia/Lord_Howe")
    assert local_instant(date(2026, 10, 4), time(2, 15), lord_howe) == utc(2026, 10, 3, 15, 30)


def test_seoul_has_no_dst() -> None:
    rule = Rule.build(1, 8, 15, 1945, at="09:00", tz=SEOUL)
    found = occurrences_between(rule, utc(2026, 1, 1), utc(2036, 1, 1), FEB28)
    assert [o.fire_at for o in found] == [utc(year, 8, 15, 0, 0) for year in range(2026, 2036)]
    assert [o.years for o in found] == list(range(81, 91))


def test_moscow_now_and_in_its_dst_years() -> None:
    assert local_instant(date(2026, 5, 9), time(10, 0), MOSCOW) == utc(2026, 5, 9, 7, 0)
    assert local_instant(date(2026, 1, 9), time(10, 0), MOSCOW) == utc(2026, 1, 9, 7, 0)
    # Moscow still moved its clocks in 2010: 02:00 → 03:00 on 28 March.
    assert local_instant(date(2010, 3, 28), time(2, 30), MOSCOW) == utc(2010, 3, 27, 23, 0)


def test_local_time_with_tzinfo_is_refused() -> None:
    with pytest.raises(ValueError, match="without tzinfo"):
        local_instant(date(2026, 1, 1), time(9, 0, tzinfo=UTC), SEOUL)
    with pytest.raises(ValueError, match="without tzinfo"):
        Rule(1, 1, 1, None, time(9, 0, tzinfo=UTC), SEOUL)


# --- occurrences ---------------------------------------------------------------


def test_reminders_seven_and_one_days_before() -> None:
    rule = Rule.build(7, 8, 15, 1945, at="09:00", tz=MOSCOW, reminder_days=[1, 7])
    found = occurrences_between(rule, utc(2026, 1, 1), utc(2027, 1, 1), FEB28)
    assert found == [
        Occurrence(7, date(2026, 8, 15), "before:7", utc(2026, 8, 8, 6), 81),
        Occurrence(7, date(2026, 8, 15), "before:1", utc(2026, 8, 14, 6), 81),
        Occurrence(7, date(2026, 8, 15), "day", utc(2026, 8, 15, 6), 81),
    ]
    assert kind_before(7) == "before:7"


def test_reminder_for_next_years_date_fires_this_year() -> None:
    rule = Rule.build(1, 1, 3, 2000, at="09:00", tz=SEOUL, reminder_days=[7])
    found = occurrences_between(rule, utc(2026, 12, 1), utc(2027, 1, 1), FEB28)
    assert found == [Occurrence(1, date(2027, 1, 3), "before:7", utc(2026, 12, 27), 27)]


def test_unknown_year_has_no_ordinal() -> None:
    rule = Rule.build(1, 5, 9, None, at="10:00", tz=MOSCOW)
    found = occurrences_between(rule, utc(1990, 1, 1), utc(2030, 1, 1), FEB28)
    assert len(found) == 40
    assert {o.years for o in found} == {None}


def test_never_before_the_first_anniversary() -> None:
    rule = Rule.build(1, 6, 1, 2026, at="09:00", tz=BERLIN, reminder_days=[7])
    found = occurrences_between(rule, utc(2020, 1, 1), utc(2028, 1, 1), FEB28)
    assert [(o.occurs_on.year, o.kind, o.years) for o in found] == [
        (2027, "before:7", 1),
        (2027, "day", 1),
    ]


def test_start_is_inclusive_and_end_exclusive() -> None:
    rule = Rule.build(1, 8, 15, None, at="09:00", tz=SEOUL)
    at = utc(2026, 8, 15, 0, 0)
    assert len(occurrences_between(rule, at, at + timedelta(microseconds=1), FEB28)) == 1
    assert occurrences_between(rule, at - timedelta(hours=1), at, FEB28) == []
    assert occurrences_between(rule, at, at, FEB28) == []


def test_aware_non_utc_bounds_work() -> None:
    rule = Rule.build(1, 8, 15, None, at="09:00", tz=SEOUL)
    start = datetime(2026, 8, 15, 9, 0, tzinfo=SEOUL)
    found = occurrences_between(rule, start, start + timedelta(seconds=1), FEB28)
    assert [o.fire_at for o in found] == [utc(2026, 8, 15)]
    assert found[0].fire_at.tzinfo is UTC


def test_next_occurrence() -> None:
    rule = Rule.build(3, 8, 15, 1945, at="09:00", tz=SEOUL, reminder_days=[7, 1])
    first = next_occurrence(rule, utc(2026, 8, 14, 0, 0), FEB28)
    assert first == Occurrence(3, date(2026, 8, 15), "day", utc(2026, 8, 15), 81)
    after_day = next_occurrence(rule, utc(2026, 8, 15), FEB28)  # strictly after
    assert after_day == Occurrence(3, date(2027, 8, 15), "before:7", utc(2027, 8, 8), 82)


def test_next_occurrence_of_a_future_date() -> None:
    rule = Rule.build(1, 1, 2, 2030, at="09:00", tz=SEOUL, reminder_days=[300])
    found = next_occurrence(rule, utc(2026, 1, 1), FEB28)
    assert found == Occurrence(1, date(2031, 1, 2), "before:300", utc(2030, 3, 8), 1)
    late = Rule.build(1, 12, 31, 2040, at="09:00", tz=NEW_YORK)
    assert next_occurrence(late, utc(2026, 1, 1), FEB28) == Occurrence(
        1, date(2041, 12, 31), "day", utc(2041, 12, 31, 14), 1
    )
    assert (
        next_occurrence(Rule.build(1, 1, 1, 9998, at="09:00", tz=SEOUL), utc(2026, 1, 1), FEB28)
        is None
    )


def test_naive_datetimes_are_refused() -> None:
    rule = Rule.build(1, 8, 15, None, at="09:00", tz=SEOUL)
    naive = datetime(2026, 1, 1)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="naive"):
        occurrences_between(rule, naive, utc(2027, 1, 1), FEB28)
    with pytest.raises(ValueError, match="naive"):
        occurrences_between(rule, utc(2026, 1, 1), naive, FEB28)
    with pytest.raises(ValueError, match="naive"):
        next_occurrence(rule, naive, FEB28)


@pytest.mark.parametrize("days", [(0,), (-1,), (367,), (7, 7)])
def test_bad_reminder_days(days: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="reminder"):
        Rule(1, 8, 15, None, time(9, 0), SEOUL, days)


def test_build_accepts_stored_values() -> None:
    rule = Rule.build(1, 8, 15, None, at="07:05", tz="Europe/Moscow", reminder_days=[1, 7, 1])
    assert rule == Rule(1, 8, 15, None, time(7, 5), MOSCOW, (7, 1))
    assert LeapPolicy("mar1") is MAR1


# --- ten-year sweep -------------------------------------------------------------

SWEEP_START, SWEEP_END = utc(2026, 1, 1), utc(2036, 1, 1)
# Dates and times chosen to land on DST nights in some years, plus a leap day.
SWEEP_DATES = [
    (2, 29, 1996),
    (3, 8, None),
    (3, 29, 1945),
    (8, 15, 1945),
    (10, 25, None),
    (11, 1, 2020),
]
SWEEP_TIMES = ["02:30", "01:30", "09:00", "00:00"]


def sweep_rules() -> list[Rule]:
    rules = []
    for z, tz in enumerate(ZONES):
        for d, (month, day, year) in enumerate(SWEEP_DATES):
            for t, at in enumerate(SWEEP_TIMES):
                ident = z * 1000 + d * 10 + t
                rules.append(
                    Rule.build(ident, month, day, year, at=at, tz=tz, reminder_days=[7, 1])
                )
    return rules


RULES = sweep_rules()


def check_fire_time(rule: Rule, occurrence: Occurrence) -> None:
    days = 0 if occurrence.kind == "day" else int(occurrence.kind.removeprefix("before:"))
    local_day = occurrence.occurs_on - timedelta(days=days)
    local = occurrence.fire_at.astimezone(rule.tz)
    wall = datetime.combine(local_day, rule.at, tzinfo=rule.tz)
    if wall_exists(local_day, rule.at, rule.tz):
        # Right wall time, and in an overlap the first of the two.
        assert (local.date(), local.time()) == (local_day, rule.at)
        assert occurrence.fire_at == wall.replace(fold=0).astimezone(UTC)
        assert occurrence.fire_at <= wall.replace(fold=1).astimezone(UTC)
    else:
        # In a gap: the instant the clocks jumped, the first valid local time after the wall time.
        before = (occurrence.fire_at - timedelta(seconds=1)).astimezone(rule.tz)
        assert before.utcoffset() != local.utcoffset()
        assert local.date() == local_day
        assert local.time() > rule.at > before.time()


@pytest.fixture(scope="module")
def sweep() -> dict[int, list[Occurrence]]:
    return {
        rule.anniversary_id: occurrences_between(rule, SWEEP_START, SWEEP_END, FEB28)
        for rule in RULES
    }


def test_sweep_each_occurrence_once_at_its_local_time(sweep: dict[int, list[Occurrence]]) -> None:
    gaps = overlaps = 0
    for rule in RULES:
        found = sweep[rule.anniversary_id]
        keys = [(o.anniversary_id, o.occurs_on, o.kind) for o in found]
        assert len(keys) == len(set(keys))
        assert [o.fire_at for o in found] == sorted(o.fire_at for o in found)
        for occurrence in found:
            check_fire_time(rule, occurrence)
            local_day = occurrence.fire_at.astimezone(rule.tz).date()
            gaps += not wall_exists(local_day, rule.at, rule.tz)
            wall = datetime.combine(local_day, rule.at, tzinfo=rule.tz)
            overlaps += wall.utcoffset() != wall.replace(fold=1).utcoffset()
        for year in range(2027, 2035):  # whole years inside the window: day and both reminders
            kinds = sorted(o.kind for o in found if o.occurs_on.year == year)
            assert kinds == ["before:1", "before:7", "day"]
    assert gaps > 0  # the sweep really crossed DST nights
    assert overlaps > 0


def test_sweep_next_occurrence_walks_the_same_list(sweep: dict[int, list[Occurrence]]) -> None:
    for rule in RULES[::7]:
        walked: list[Occurrence] = []
        cursor = SWEEP_START - timedelta(microseconds=1)
        while (found := next_occurrence(rule, cursor, FEB28)) and found.fire_at < SWEEP_END:
            walked.append(found)
            cursor = found.fire_at
        assert walked == sweep[rule.anniversary_id]


SPAN = int((SWEEP_END - SWEEP_START).total_seconds())


@settings(max_examples=40, deadline=None)
@given(
    rule_index=st.integers(0, len(RULES) - 1),
    cuts=st.lists(st.integers(1, SPAN - 1), max_size=25, unique=True),
)
def test_sweep_in_random_windows_fires_each_exactly_once(rule_index: int, cuts: list[int]) -> None:
    """Restarts at random instants: the windows between them together fire everything once."""
    rule = RULES[rule_index]
    bounds = [SWEEP_START, *(SWEEP_START + timedelta(seconds=c) for c in sorted(cuts)), SWEEP_END]
    pieces = [occurrences_between(rule, a, b, FEB28) for a, b in pairwise(bounds)]
    assert [o for piece in pieces for o in piece] == occurrences_between(
        rule, SWEEP_START, SWEEP_END, FEB28
    )


@settings(max_examples=60, deadline=None)
@given(
    month=st.integers(1, 12),
    day=st.integers(1, 31),
    hour=st.integers(0, 23),
    minute=st.sampled_from([0, 1, 15, 30, 59]),
    zone=st.sampled_from(ZONES),
    reminders=st.sets(st.integers(1, 30), max_size=3),
    policy=st.sampled_from(list(LeapPolicy)),
)
def test_any_rule_over_ten_years(
    month: int,
    day: int,
    hour: int,
    minute: int,
    zone: ZoneInfo,
    reminders: set[int],
    policy: LeapPolicy,
) -> None:
    try:
        rule = Rule.build(
            1, month, day, None, at=time(hour, minute), tz=zone, reminder_days=list(reminders)
        )
    except ValueError:
        return  # 31 April and friends
    found = occurrences_between(rule, SWEEP_START, SWEEP_END, policy)
    keys = [(o.occurs_on, o.kind) for o in found]
    assert len(keys) == len(set(keys))
    for occurrence in found:
        check_fire_time(rule, occurrence)
    for year in range(2027, 2035):
        assert sum(o.kind == "day" and o.occurs_on.year == year for o in found) == 1
