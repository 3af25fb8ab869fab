"""Find full dates (day, month and year) in a post's text, to suggest them as anniversaries."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_EN_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3,
    "april": 4, "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7,
    "august": 8, "aug": 8, "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10,
    "november": 11, "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
_RU_MONTHS = {
    "января": 1, "февраля": 2, "марта": 3, "апреля": 4, "мая": 5, "июня": 6,
    "июля": 7, "августа": 8, "сентября": 9, "октября": 10, "ноября": 11, "декабря": 12,
}  # fmt: skip


def _alternatives(names: dict[str, int]) -> str:
    return "|".join(sorted(names, key=len, reverse=True))


_EN = _alternatives(_EN_MONTHS)
_DAY = r"(?P<day>[0-9]{1,2})"
_YEAR = r"(?P<year>[0-9]{4})(?![0-9])"
_ORD = r"(?:st|nd|rd|th)?"
# Each pattern names its groups day, month (a name or a number) and year.
_PATTERNS = [
    # August 15, 1945 / Aug. 15 1945 / August 15th, 1945
    re.compile(rf"\b(?P<month>{_EN})\.?\s+{_DAY}{_ORD},?\s+{_YEAR}", re.IGNORECASE),
    # 15 August 1945 / 15th of August, 1945 / 15 Aug. 1945
    re.compile(rf"\b{_DAY}{_ORD}\s+(?:of\s+)?(?P<month>{_EN})\b\.?,?\s+{_YEAR}", re.IGNORECASE),
    # 15 августа 1945 года / 15 августа 1945 г.
    re.compile(
        rf"(?<![0-9]){_DAY}\s+(?P<month>{_alternatives(_RU_MONTHS)})\s+{_YEAR}"
        r"(?:\s*(?:года|г\.|г(?!\w)))?",
        re.IGNORECASE,
    ),
    # 1945년 8월 15일
    re.compile(rf"(?<![0-9]){_YEAR}\s*년\s*(?P<month>[0-9]{{1,2}})\s*월\s*{_DAY}\s*일"),
    # 1945-08-15
    re.compile(r"(?<![0-9-])(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})(?![0-9-])"),
]


@dataclass(frozen=True, slots=True)
class DateMention:
    """A full date found in text, with where it was found."""

    on: date
    text: str
    start: int
    end: int


def _month(value: str) -> int:
    if value.isdigit():
        return int(value)
    name = value.casefold()
    return _EN_MONTHS.get(name) or _RU_MONTHS.get(name, 0)


def find_dates(text: str) -> list[DateMention]:
    """Full dates in `text`, in order, each date once; partial and impossible dates skipped."""
    candidates: list[DateMention] = []
    for pattern in _PATTERNS:
        for match in pattern.finditer(text):
            if not 1000 <= int(match["year"]) <= 9999:
                continue  # the years Herald keeps, as /anniversary add takes them
            try:
                on = date(int(match["year"]), _month(match["month"]), int(match["day"]))
            except ValueError:
                continue  # 31 February, month 13
            candidates.append(DateMention(on, match.group(), match.start(), match.end()))
    candidates.sort(key=lambda m: (m.start, -m.end))
    found: list[DateMention] = []
    seen: set[date] = set()
    taken_until = 0
    for mention in candidates:
        if mention.start < taken_until:
            continue  # overlaps a date already taken
        taken_until = mention.end
        if mention.on not in seen:
            seen.add(mention.on)
            found.append(mention)
    return found
