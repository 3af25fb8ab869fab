"""Parsing command lines and post texts; pure functions, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, time

from bot.formatting import Styles
from bot.runs import clip, nest
from bot.tags import (
    DEFAULT_TAG_LIMITS,
    TagError,
    TagLimits,
    hashtag_words,
    parse_tag_list,
    read_tags,
)

MAX_COMMAND_LENGTH = 4096
MAX_POST_LENGTH = 100_000
MAX_TITLE_LENGTH = 256
_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{3,64}))?(?=\s|$)")
_TAGS_LINE = re.compile(r"^\s*(?:tags|теги|태그)\s*:\s*(.*)$", re.IGNORECASE)
_HASHTAG_ONLY_LINE = re.compile(r"^\s*(?:#\w[\w-]*\s*)+$")


@dataclass(frozen=True, slots=True)
class CommandLine:
    """`/name@bot args` split into its parts."""

    name: str
    args: str
    addressed_to: str | None = None


def parse_command_line(text: str) -> CommandLine | None:
    """Split a command line; None when the text is not a command."""
    stripped = text.lstrip()
    match = _COMMAND.match(stripped)
    if match is None:
        return None
    return CommandLine(match[1].lower(), stripped[match.end() :].strip(), match[2])


# Announcement and anniversary ids are 64-bit; a longer number names nothing.
_ID = re.compile(r"#?([0-9]{1,18})")


def parse_id(text: str) -> int | None:
    """`12` or `#12` (ASCII digits) → 12; None when `text` is not an id."""
    match = _ID.fullmatch(text.strip())
    return None if match is None else int(match[1])


@dataclass(frozen=True, slots=True)
class PostText:
    """A post as an admin typed it: title, body and tags."""

    title: str
    body: str
    tags: tuple[str, ...]
    # Style runs over `body` (code points); () for plain text.
    body_styles: Styles = ()


class PostTextError(ValueError):
    """The post text cannot be used; `reason`: empty, too_long, no_body or title_too_long."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_post_text(
    text: str, styles: Styles = (), limits: TagLimits = DEFAULT_TAG_LIMITS
) -> PostText:
    """First line the title, then the body; tags from a last `Tags: a, b` line or hashtags.

    `styles` are runs over `text`; the ones over the body come back in body coordinates.
    A tag that cannot be used, or more than `limits.per_post` tags: TagError.
    """
    if len(text) > MAX_POST_LENGTH:
        raise PostTextError("too_long")
    text, styles = _unix_newlines(text, styles)
    lead = len(text) - len(text.lstrip("\n"))
    lines = text.strip("\n").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines or not "".join(lines).strip():
        raise PostTextError("empty")
    tags: list[str] = []
    last = lines[-1]
    tags_match = _TAGS_LINE.match(last)
    if tags_match and len(lines) > 1:
        tags = parse_tag_list(tags_match[1], limits, cap=limits.per_post)
        lines.pop()
    elif _HASHTAG_ONLY_LINE.match(last) and len(lines) > 1:
        tags = read_tags(hashtag_words(last), limits, cap=limits.per_post)
        lines.pop()
    title = lines[0].strip()
    joined = "\n".join(lines[1:])
    body = joined.strip("\n")
    if not body.strip():
        raise PostTextError("no_body")
    if len(title) > MAX_TITLE_LENGTH:
        raise PostTextError("title_too_long")
    if not tags:
        tags = read_tags(hashtag_words(title + "\n" + body), limits, cap=limits.per_post)
    # The body is one slice of the text: after the title line and the newlines it starts with.
    start = lead + len(lines[0]) + 1 + (len(joined) - len(joined.lstrip("\n")))
    body_styles = nest(clip(styles, start, start + len(body)), len(body)) if styles else ()
    return PostText(title, body, tuple(tags), body_styles)


def _unix_newlines(text: str, styles: Styles) -> tuple[str, Styles]:
    """`\\r\\n` and `\\r` as `\\n`, the runs moved with the text."""
    if "\r" not in text:
        return text, styles
    new_index = [0] * (len(text) + 1)
    out: list[str] = []
    i = 0
    while i < len(text):
        new_index[i] = len(out)
        if text.startswith("\r\n", i):
            new_index[i + 1] = len(out)
            i += 2
        else:
            i += 1
        out.append("\n" if text[i - 1] in "\r\n" else text[i - 1])
    new_index[len(text)] = len(out)
    n = len(text)
    moved = tuple(
        replace(r, start=new_index[max(0, min(r.start, n))], end=new_index[max(0, min(r.end, n))])
        for r in styles
    )
    return "".join(out), moved


MIN_YEAR = 1000
MAX_YEAR = 9999
_DATE = re.compile(r"([0-9]{4}|-)-([0-9]{2})-([0-9]{2})")
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})")
# What a person meant as a time of day, in any script's digits (`٠٩:٣٠`): refused by name.
TIME_LIKE = re.compile(r"\d{1,2}:\d{2}")


class DateError(ValueError):
    """A date or time that cannot be used, and why; `value` is the text as typed.

    `reason`: `date_format` (not YYYY-MM-DD), `time_format` (not HH:MM), `digits` (digits other
    than 0-9), `not_a_date` (2023-02-30), `year` (outside 1000-9999), `not_a_time` (25:00).
    """

    def __init__(self, reason: str, value: str) -> None:
        super().__init__(f"{reason}: {value[:40]!r}")
        self.reason = reason
        self.value = value


def _other_digits(text: str) -> bool:
    return any(c.isdigit() and not c.isascii() for c in text)


def parse_month_day(text: str) -> tuple[int | None, int, int]:
    """`YYYY-MM-DD` or `--MM-DD` (year unknown) → (year, month, day); DateError otherwise."""
    match = _DATE.fullmatch(text)
    if not match:
        raise DateError("digits" if _other_digits(text) else "date_format", text)
    year = None if match[1] == "-" else int(match[1])
    if year is not None and not MIN_YEAR <= year <= MAX_YEAR:
        raise DateError("year", text)
    month, day = int(match[2]), int(match[3])
    try:
        date(2000 if year is None else year, month, day)  # 2000 is a leap year: 29 Feb is valid
    except ValueError:
        raise DateError("not_a_date", text) from None
    return year, month, day


def parse_date(text: str) -> date:
    """`YYYY-MM-DD` (ASCII digits, year 1000-9999) → date; DateError naming the value otherwise."""
    year, month, day = parse_month_day(text)
    if year is None:
        raise DateError("date_format", text)
    return date(year, month, day)


def parse_time(text: str) -> time:
    """`HH:MM` (ASCII digits, 00:00-23:59) → time; DateError naming the value otherwise."""
    match = _TIME.fullmatch(text)
    if not match:
        raise DateError("digits" if _other_digits(text) else "time_format", text)
    if int(match[1]) > 23 or int(match[2]) > 59:
        raise DateError("not_a_time", text)
    return time(int(match[1]), int(match[2]))


def parse_local_datetime(day_text: str, time_text: str) -> tuple[date, time]:
    """`YYYY-MM-DD` and `HH:MM` → (date, time); DateError naming the bad value otherwise."""
    return parse_date(day_text), parse_time(time_text)


def with_tags(text: str, extra: str) -> str:
    """The post text with the tags in `extra` (`a, b`) added to the ones it names itself.

    Its own tags are its last `Tags:` line, a last line of hashtags, or else the hashtags in
    its text (the rules of parse_post_text); all of them end up on one last `Tags:` line.
    """
    if not extra.strip():
        return text
    lines = text.replace("\r\n", "\n").replace("\r", "\n").rstrip().split("\n")
    try:
        own = list(parse_post_text("\n".join(lines)).tags)
    except (PostTextError, TagError):
        own = []  # the post is refused anyway, with the reason, when it is sent
    last = lines[-1]
    if len(lines) > 1 and (_TAGS_LINE.match(last) or _HASHTAG_ONLY_LINE.match(last)):
        lines.pop()
    tags = ", ".join([*own, extra.strip().strip(",")])
    return "\n".join([*lines, f"Tags: {tags}"])
