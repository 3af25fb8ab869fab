"""Formatted text without a platform, for announcements and replies alike; a post's photo.

One model: a plain string plus `TextStyle` runs over it, in one vocabulary of styles (`Style`).
An announcement's body is stored that way (`styles_to_json`), and a reply is the same thing
(`bot.replies.Reply.text` and `.styles`, built by `bot.replies.ReplyBuilder`). Runs may nest
but never cross; `bot.runs.nest` settles any set of runs into that shape. Offsets are Python
string indices (code points); each adapter renders text and runs through one renderer of its
own and converts to its platform's units (Telegram counts UTF-16 code units).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum


class Style(StrEnum):
    """The styles both Telegram and Discord can show."""

    BOLD = "bold"
    ITALIC = "italic"
    UNDERLINE = "underline"
    STRIKE = "strike"
    SPOILER = "spoiler"
    CODE = "code"
    PRE = "pre"
    LINK = "link"
    QUOTE = "quote"


@dataclass(frozen=True, slots=True)
class TextStyle:
    """One styled run `text[start:end]`; `url` for links, `language` for code blocks."""

    style: Style
    start: int
    end: int
    url: str | None = None
    language: str | None = None


Styles = tuple[TextStyle, ...]


def styles_to_json(styles: Styles) -> str | None:
    """The stored form of style runs (None when the text is plain)."""
    if not styles:
        return None
    return json.dumps(
        [
            {
                k: v
                for k, v in (
                    ("s", run.style.value),
                    ("a", run.start),
                    ("b", run.end),
                    ("u", run.url),
                    ("l", run.language),
                )
                if v is not None
            }
            for run in styles
        ],
        separators=(",", ":"),
    )


def styles_from_json(raw: str | None) -> Styles:
    """Style runs back from their stored form; unknown styles are dropped."""
    if not raw:
        return ()
    known = {style.value for style in Style}
    return tuple(
        TextStyle(Style(item["s"]), int(item["a"]), int(item["b"]), item.get("u"), item.get("l"))
        for item in json.loads(raw)
        if item.get("s") in known
    )


@dataclass(frozen=True, slots=True)
class Photo:
    """The one photo a post may carry: its bytes (platforms' file ids are in `FileIds`)."""

    data: bytes
    mime_type: str = "image/jpeg"
    file_name: str = "photo.jpg"

    async def fetch(self) -> Photo:
        """The photo itself: a photo already in hand is its own PhotoSource."""
        return self
