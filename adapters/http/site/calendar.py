"""The anniversaries as iCalendar: one yearly event each, in its timezone, 29 February by rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from icalendar import Calendar, Event

from adapters.http.site import text
from adapters.http.site.responses import Rendered
from adapters.http.site.visit import SiteConfig, Visit
from bot.schedule.occurrences import LeapPolicy, occurrence_date
from bot.site.service import Dated

ICS = "text/calendar; charset=utf-8"
# Any year works for a date whose year is unknown; a leap year keeps 29 February valid.
UNKNOWN_YEAR = 2000


def yearly_rule(month: int, day: int, policy: LeapPolicy) -> dict[str, object]:
    """The RRULE: every year on the day; 29 February on Herald's day in common years."""
    if (month, day) == (2, 29):
        if policy is LeapPolicy.MAR_1:
            # Day 60 of the year: 29 February in leap years, 1 March in the others.
            return {"freq": "yearly", "byyearday": 60}
        # The last day of February: the 29th in leap years, the 28th in the others.
        return {"freq": "yearly", "bymonth": 2, "bymonthday": -1}
    return {"freq": "yearly", "bymonth": month, "bymonthday": day}


def calendar_ics(
    dated: list[Dated], visit: Visit, config: SiteConfig, policy: LeapPolicy, now: datetime
) -> Rendered:
    """The calendar of these anniversaries, in the society's language."""
    host = urlsplit(visit.base).hostname or "herald"
    calendar = Calendar()
    calendar.add("prodid", "-//Herald//Anniversaries//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"{config.name} · {text.labels(visit.lang)['anniversaries']}")
    calendar.add("x-wr-timezone", config.zone.key)
    # Stable through the day, so the body (and its ETag) changes only with the dates.
    stamp = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    for item in dated:
        a, rule = item.anniversary, item.rule
        first_year = a.year + 1 if a.year is not None else UNKNOWN_YEAR
        day = occurrence_date(a.month, a.day, first_year, policy)
        start = datetime.combine(day, rule.at, tzinfo=rule.tz)
        event = Event()
        event.add("uid", f"anniversary-{a.id}@{host}")
        event.add("dtstamp", stamp)
        event.add("summary", a.title)
        event.add("dtstart", start)
        event.add("duration", timedelta(hours=1))
        event.add("rrule", yearly_rule(a.month, a.day, policy))
        notes = [a.text or "", text.since(visit.lang, a.year) if a.year is not None else ""]
        description = "\n\n".join(n for n in notes if n)
        if description:
            event.add("description", description)
        if a.tags:
            event.add("categories", list(a.tags))
        if a.announcement_id is not None:
            event.add("url", visit.absolute(f"/announcements/{a.announcement_id}"))
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return Rendered.of(calendar.to_ical(), ICS)
