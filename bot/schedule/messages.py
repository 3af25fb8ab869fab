"""Anniversary and reminder texts, localized, with the right ordinal and jubilees marked."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from babel.dates import format_skeleton

from bot.domain import Anniversary
from bot.i18n import N_, translate
from bot.schedule.occurrences import DAY, Occurrence
from bot.schedule.ordinals import is_jubilee, ordinal


class Translate(Protocol):
    """The shape of `bot.i18n.translate`."""

    def __call__(self, language: str, message: str, /, **values: object) -> str:
        """The message in `language` with values filled in."""
        ...


TODAY_YEARS = N_("Today is the {ordinal} anniversary of {title}")
TODAY = N_("Today we remember {title}")
TOMORROW_YEARS = N_("Tomorrow: the {ordinal} anniversary of {title} ({date})")
TOMORROW = N_("Tomorrow: {title} ({date})")
SOON_YEARS = N_("In {days} days: the {ordinal} anniversary of {title} ({date})")
SOON = N_("In {days} days: {title} ({date})")
JUBILEE = N_("★ {text} — a jubilee")
MORE = N_("More: /show {id}")

MSGIDS = (TODAY_YEARS, TODAY, TOMORROW_YEARS, TOMORROW, SOON_YEARS, SOON, JUBILEE, MORE)
# Babel's English is American ("August 15"); the society writes "15 August".
_DATE_LOCALES = {"en": "en_GB"}


def days_before(kind: str) -> int | None:
    """How many days before the anniversary a kind fires ("before:7" → 7); None for the day."""
    if kind == DAY:
        return None
    prefix, _, days = kind.partition(":")
    if prefix != "before" or not days.isdigit():
        raise ValueError(f"unknown occurrence kind {kind!r}")
    return int(days)


def format_day(day: date, language: str) -> str:
    """Day and month as the language writes them: "15 August", "15 августа", "8월 15일"."""
    return format_skeleton("dMMMM", day, locale=_DATE_LOCALES.get(language, language))


def headline(
    title: str, occurrence: Occurrence, language: str, t: Translate = translate
) -> str:
    """The one-line announcement of an occurrence: the day itself or a reminder before it."""
    years = occurrence.years
    values: dict[str, object] = {"title": title}
    if years is not None:
        values["ordinal"] = ordinal(years, language)
    days = days_before(occurrence.kind)
    if days is None:
        text = t(language, TODAY_YEARS if years is not None else TODAY, **values)
    else:
        values["date"] = format_day(occurrence.occurs_on, language)
        if days == 1:
            text = t(language, TOMORROW_YEARS if years is not None else TOMORROW, **values)
        else:
            text = t(language, SOON_YEARS if years is not None else SOON, days=days, **values)
    if years is not None and is_jubilee(years):
        text = t(language, JUBILEE, text=text)
    return text


def body(anniversary: Anniversary, language: str, t: Translate = translate) -> str:
    """The anniversary's own text, and a pointer to its announcement when it has one."""
    parts = [anniversary.text.strip()] if anniversary.text and anniversary.text.strip() else []
    if anniversary.announcement_id is not None:
        parts.append(t(language, MORE, id=anniversary.announcement_id))
    return "\n\n".join(parts)


def occurrence_message(
    anniversary: Anniversary, occurrence: Occurrence, language: str, t: Translate = translate
) -> tuple[str, str]:
    """(title, body) of the message an occurrence sends, in `language`."""
    return headline(anniversary.title, occurrence, language, t), body(anniversary, language, t)
