"""Parsing command lines and post texts; pure functions, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, time

from bot.formatting import Styles
from bot.runs import clip, nest
from bot.tags import hashtags, split_tag_list

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


def parse_post_text(text: str, styles: Styles = ()) -> PostText:
    """First line the title, then the body; tags from a last `Tags: a, b` line or hashtags.

    `styles` are runs over `text`; the ones over the body come back in body coordinates.
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
        tags = split_tag_list(tags_match[1])
        lines.pop()
    elif _HASHTAG_ONLY_LINE.match(last) and len(lines) > 1:
        tags = hashtags(last)
        lines.pop()
    title = lines[0].strip()
    joined = "\n".join(lines[1:])
    body = joined.strip("\n")
    if not body.strip():
        raise PostTextError("no_body")
    if len(title) > MAX_TITLE_LENGTH:
        raise PostTextError("title_too_long")
    if not tags:
        tags = hashtags(title + "\n" + body)
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


def parse_date(text: str) -> date:
    """`YYYY-MM-DD` → date; ValueError otherwise."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError(text)
    return date.fromisoformat(text)


def parse_month_day(text: str) -> tuple[int | None, int, int]:
    """`YYYY-MM-DD` or `--MM-DD` (year unknown) → (year, month, day); ValueError otherwise."""
    match = re.fullmatch(r"(\d{4}|-)-(\d{2})-(\d{2})", text)
    if not match:
        raise ValueError(text)
    year = None if match[1] == "-" else int(match[1])
    month, day = int(match[2]), int(match[3])
    date(2000 if year is None else year, month, day)  # 2000 is a leap year: 29 Feb is valid
    return year, month, day


def parse_local_datetime(day_text: str, time_text: str) -> tuple[date, time]:
    """`YYYY-MM-DD` and `HH:MM` → (date, time); ValueError otherwise."""
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", time_text)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(time_text)
    return parse_date(day_text), time(int(match[1]), int(match[2]))


def parse_page(text: str, default: int = 1) -> int | None:
    """A page number ≥ 1, or None when `text` is not one."""
    if not text:
        return default
    if text.isdigit() and 1 <= int(text) <= 100_000:
        return int(text)
    return None



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
    except PostTextError:
        own = []  # the post is refused anyway, with the reason, when it is sent
    last = lines[-1]
    if len(lines) > 1 and (_TAGS_LINE.match(last) or _HASHTAG_ONLY_LINE.match(last)):
        lines.pop()
    tags = ", ".join([*own, extra.strip().strip(",")])
    return "\n".join([*lines, f"Tags: {tags}"])
