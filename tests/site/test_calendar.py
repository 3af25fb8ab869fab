"""The .ics parsed back with icalendar: yearly events in their timezone, 29 February by rule."""

from __future__ import annotations

from datetime import datetime, time

import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar, Component, Event

from bot.domain import AnniversaryFields
from bot.ports import ManualClock
from bot.schedule.occurrences import LeapPolicy
from storage.repository import Repository
from tests.site.world import ZONE, Site, open_site


async def _calendar(site: Site, path: str = "/anniversaries.ics") -> Calendar:
    response = await site.client.get(path)
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(await response.read())


def _start(event: Component) -> datetime:
    assert isinstance(event, Event)
    start = event.DTSTART
    assert isinstance(start, datetime)
    return start


def _instances(event: Component, count: int) -> list[datetime]:
    rule = event["rrule"].to_ical()
    rule = rule.decode() if isinstance(rule, bytes) else rule
    return list(rrulestr(rule, dtstart=_start(event)))[:count]


async def _keep(site: Site, **fields: object) -> None:
    await site.anniversaries.add(AnniversaryFields(**fields), actor="cli:test")  # type: ignore[arg-type]


async def test_yearly_events_in_the_society_timezone(repo: Repository, clock: ManualClock) -> None:
    async with open_site(repo, clock) as site:
        await _keep(site, title="Liberation Day", month=8, day=15, year=1945, tags=("History",))
        await _keep(site, title="Founding day", month=3, day=1, time_of_day="18:30")
        calendar = await _calendar(site)
    events = {str(e["summary"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"Liberation Day", "Founding day"}
    liberation = events["Liberation Day"]
    start = _start(liberation)
    assert start == datetime(1946, 8, 15, 9, 0, tzinfo=ZONE)
    assert liberation["dtstart"].params["TZID"] == "Europe/Moscow"
    assert [d.year for d in _instances(liberation, 3)] == [1946, 1947, 1948]
    assert "Since 1945" in str(liberation["description"])
    assert liberation.get("categories") is not None
    assert _start(events["Founding day"]).time() == time(18, 30)
    zones = [str(z["tzid"]) for z in calendar.walk("VTIMEZONE")]
    assert zones == ["Europe/Moscow"]
    assert len({str(e["uid"]) for e in calendar.walk("VEVENT")}) == 2


@pytest.mark.parametrize(
    ("policy", "common_year_day"),
    [(LeapPolicy.FEB_28, (2, 28)), (LeapPolicy.MAR_1, (3, 1))],
)
async def test_29_february_follows_the_leap_day_rule(
    repo: Repository, clock: ManualClock, policy: LeapPolicy, common_year_day: tuple[int, int]
) -> None:
    async with open_site(repo, clock, policy=policy) as site:
        await _keep(site, title="Leap founding", month=2, day=29, year=2000)
        calendar = await _calendar(site)
    (event,) = calendar.walk("VEVENT")
    days = {d.year: (d.month, d.day) for d in _instances(event, 8)}
    assert days[2004] == (2, 29)
    assert days[2008] == (2, 29)
    assert days[2001] == common_year_day
    assert days[2003] == common_year_day
    assert sorted(days) == list(range(2001, 2009))  # once a year, every year


async def test_calendar_per_tag(repo: Repository, clock: ManualClock) -> None:
    async with open_site(repo, clock) as site:
        await _keep(site, title="Liberation Day", month=8, day=15, tags=("History",))
        await _keep(site, title="Concert", month=5, day=1, tags=("Music",))
        history = await _calendar(site, "/tags/history/anniversaries.ics")
        unknown = await site.client.get("/tags/nothing/anniversaries.ics")
    assert [str(e["summary"]) for e in history.walk("VEVENT")] == ["Liberation Day"]
    assert unknown.status == 404
