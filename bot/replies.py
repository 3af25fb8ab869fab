"""Neutral replies: styled text and optional buttons; adapters render them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# Replies are styled text in bot.formatting's one model (re-exported for the adapters).
from bot.formatting import Style as Style
from bot.formatting import Styles as Styles
from bot.formatting import TextStyle
from bot.runs import clip, shift

MAX_ACTION_BYTES = 64

# Why a reply says no: the command line turns these into exit codes (usage: 2, others: 1).
Failure = Literal["refused", "not_found", "invalid", "usage", "failed"]


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button; pressing it runs `action`, a command line such as `/tag 12 2`.

    A button with a `url` opens that address instead (its action is unused).
    """

    label: str
    action: str
    url: str | None = None

    @property
    def fits(self) -> bool:
        """Whether every platform can carry the action (Telegram: 64 bytes of callback data)."""
        if self.url is not None:
            return self.url.startswith(("https://", "http://")) and len(self.url) <= 2048
        return len(self.action.encode()) <= MAX_ACTION_BYTES


@dataclass(frozen=True, slots=True)
class Reply:
    """What the core answers to one command: a plain text and its style runs."""

    text: str = ""
    styles: Styles = ()
    buttons: tuple[tuple[Button, ...], ...] = ()
    ephemeral: bool = False
    # Set when the reply proposes follow-up actions an interactive console may prompt for.
    suggestions: tuple[Button, ...] = field(default=())
    # Set when the command was refused, named nothing that exists, or could not be done.
    failure: Failure | None = None

    def plain(self) -> str:
        """The reply as plain text, formatting dropped."""
        return self.text


class ReplyBuilder:
    """Builds a Reply piece by piece: the text grows, each styled piece adds a run over it."""

    def __init__(self) -> None:
        self._pieces: list[str] = []
        self._length = 0
        self._runs: list[TextStyle] = []
        self._rows: list[tuple[Button, ...]] = []

    def _add(self, text: str, style: Style | None = None, url: str | None = None) -> ReplyBuilder:
        if text:
            if style is not None:
                self._runs.append(TextStyle(style, self._length, self._length + len(text), url))
            self._pieces.append(text)
            self._length += len(text)
        return self

    def text(self, text: str) -> ReplyBuilder:
        """Append plain text."""
        return self._add(text)

    def bold(self, text: str) -> ReplyBuilder:
        """Append bold text."""
        return self._add(text, Style.BOLD)

    def italic(self, text: str) -> ReplyBuilder:
        """Append italic text."""
        return self._add(text, Style.ITALIC)

    def code(self, text: str) -> ReplyBuilder:
        """Append monospaced text."""
        return self._add(text, Style.CODE)

    def link(self, text: str, url: str) -> ReplyBuilder:
        """Append a link."""
        return self._add(text, Style.LINK, url)

    def styled(self, text: str, styles: Styles) -> ReplyBuilder:
        """Append text with its own style runs (an announcement's body, say)."""
        if text:
            self._runs.extend(shift(clip(styles, 0, len(text)), self._length))
        return self._add(text)

    def line(self, text: str = "") -> ReplyBuilder:
        """Append plain text and a line break."""
        return self._add(text + "\n")

    def buttons(self, *row: Button) -> ReplyBuilder:
        """Append a row of buttons; one whose action no platform could carry is left out."""
        kept = tuple(button for button in row if button.fits)
        if kept:
            self._rows.append(kept)
        return self

    def build(self, *, ephemeral: bool = False, failure: Failure | None = None) -> Reply:
        """Finish the reply; trailing line breaks outside every run are trimmed."""
        text = "".join(self._pieces)
        styled_to = max((run.end for run in self._runs), default=0)
        end = len(text)
        while end > styled_to and text[end - 1] == "\n":
            end -= 1
        return Reply(text[:end], tuple(self._runs), tuple(self._rows), ephemeral, failure=failure)


def text_reply(text: str, *, ephemeral: bool = False, failure: Failure | None = None) -> Reply:
    """A reply of one plain text (`failure` when it says no)."""
    return Reply(text, ephemeral=ephemeral, failure=failure)


def refused(text: str, *, ephemeral: bool = False) -> Reply:
    """A reply refusing the command (not allowed, or not possible now)."""
    return text_reply(text, ephemeral=ephemeral, failure="refused")


def not_found(text: str) -> Reply:
    """A reply saying the command named something that does not exist."""
    return text_reply(text, failure="not_found")


def invalid(text: str) -> Reply:
    """A reply saying the command's content cannot be used (empty, too long, bad date)."""
    return text_reply(text, failure="invalid")


def wrong_usage(text: str) -> Reply:
    """A reply saying how the command is written."""
    return text_reply(text, failure="usage")
