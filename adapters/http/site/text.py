"""The website's words in the reader's language, and which language a request wants."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date

from bot.i18n import LANGUAGE_NAMES, LANGUAGES, normalize_language, translate
from bot.schedule.ordinals import ordinal


def choose_language(query: str | None, accept: str | None, default: str) -> str:
    """`?lang=` if supported, else the best of Accept-Language, else the society's language."""
    chosen = normalize_language(query)
    if chosen is not None and query is not None and len(query) <= 16:
        return chosen
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept or "").split(",")[:20]):
        code, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        language = normalize_language(code.strip())
        if language is not None and weight > 0:
            ranked.append((-weight, index, language))
    return min(ranked)[2] if ranked else default


@cache
def labels(language: str) -> dict[str, str]:
    """Every fixed word the templates show, translated."""
    return {
        "latest": translate(language, "Latest announcements"),
        "tags": translate(language, "Tags"),
        "search": translate(language, "Search"),
        "search_words": translate(language, "Words to find"),
        "anniversaries": translate(language, "Anniversaries"),
        "coming": translate(language, "Coming anniversaries"),
        "none_kept": translate(language, "No anniversaries are kept yet."),
        "nothing": translate(language, "Nothing has been published yet."),
        "no_match": translate(language, "Nothing matches these words."),
        "older": translate(language, "Older"),
        "newer": translate(language, "Newer"),
        "feeds": translate(language, "Feeds"),
        "calendar": translate(language, "Calendar (.ics)"),
        "language": translate(language, "Language"),
        "today": translate(language, "today"),
        "not_found": translate(language, "There is no such page."),
        "gone": translate(language, "This announcement was withdrawn."),
        "bad_page": translate(language, "The page number must be a whole number, 1 or more."),
        "home": translate(language, "Back to the latest announcements"),
        "photo": translate(language, "Photo"),
    }


def language_names() -> list[tuple[str, str]]:
    """(code, name) of every language the site speaks."""
    return [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES]


def page_of(language: str, page: int, pages: int) -> str:
    """`Page 2 of 7`."""
    return translate(language, "Page {page} of {pages}", page=page, pages=pages)


def tagged(language: str, name: str, count: int) -> str:
    """The heading of a tag page."""
    return translate(language, "Tagged {tag} ({count})", tag=name, count=count)


def found(language: str, count: str) -> str:
    """`Found 12`."""
    return translate(language, "Found {count}", count=count)


def views(language: str, chat: int, web: int) -> str:
    """The view counts shown on a page."""
    return translate(language, "Views: {chat} in chats, {web} on the website", chat=chat, web=web)


def days_left(language: str, days: int) -> str:
    """`today` or `in 12 days`."""
    if days == 0:
        return translate(language, "today")
    return translate(language, "in {days} days", days=days)


def anniversary_ordinal(language: str, years: int) -> str:
    """`81st anniversary`."""
    return translate(language, "{ordinal} anniversary", ordinal=ordinal(years, language))


def since(language: str, year: int) -> str:
    """`Since 1945`, for calendar entries whose ordinal changes every year."""
    return translate(language, "Since {year}", year=year)


def local_day(when: datetime | date, zone: ZoneInfo, language: str) -> str:
    """A date the way the reader's language writes it, in the society's timezone."""
    day = when.astimezone(zone).date() if isinstance(when, datetime) else when
    return _long_date(day, language)


@lru_cache(maxsize=8192)
def _long_date(day: date, language: str) -> str:
    # Babel takes ~10 µs a date (locale data, pattern); a page shows 20-30 of a few days.
    return format_date(day, format="long", locale=language)


def local_clock(when: datetime, zone: ZoneInfo) -> str:
    """`HH:MM` in the society's timezone."""
    return when.astimezone(zone).strftime("%H:%M")
