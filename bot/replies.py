"""Neutral replies: text with light formatting and optional buttons; adapters render them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# Replies are styled text in bot.formatting's one model (re-exported for the adapters).
from bot.formatting import Span as Span
from bot.formatting import Style as Style

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
    """What the core answers to one command."""

    spans: tuple[Span, ...]
    buttons: tuple[tuple[Button, ...], ...] = ()
    ephemeral: bool = False
    # Set when the reply proposes follow-up actions an interactive console may prompt for.
    suggestions: tuple[Button, ...] = field(default=())
    # Set when the command was refused, named nothing that exists, or could not be done.
    failure: Failure | None = None

    def plain(self) -> str:
        """The reply as plain text, formatting dropped."""
        return "".join(span.text for span in self.spans)


class ReplyBuilder:
    """Builds a Reply span by span."""

    def __init__(self) -> None:
        self._spans: list[Span] = []
        self._rows: list[tuple[Button, ...]] = []

    def text(self, text: str) -> ReplyBuilder:
        """Append plain text."""
        if text:
            self._spans.append(Span(text))
        return self

    def bold(self, text: str) -> ReplyBuilder:
        """Append bold text."""
        self._spans.append(Span(text, Style.BOLD))
        return self

    def italic(self, text: str) -> ReplyBuilder:
        """Append italic text."""
        self._spans.append(Span(text, Style.ITALIC))
        return self

    def code(self, text: str) -> ReplyBuilder:
        """Append monospaced text."""
        self._spans.append(Span(text, Style.CODE))
        return self

    def link(self, text: str, url: str) -> ReplyBuilder:
        """Append a link."""
        self._spans.append(Span(text, Style.LINK, url))
        return self

    def line(self, text: str = "") -> ReplyBuilder:
        """Append plain text and a line break."""
        self._spans.append(Span(text + "\n"))
        return self

    def buttons(self, *row: Button) -> ReplyBuilder:
        """Append a row of buttons; one whose action no platform could carry is left out."""
        kept = tuple(button for button in row if button.fits)
        if kept:
            self._rows.append(kept)
        return self

    def build(self, *, ephemeral: bool = False, failure: Failure | None = None) -> Reply:
        """Finish the reply; trailing line breaks are trimmed."""
        spans = list(self._spans)
        while spans and spans[-1].style is None and spans[-1].text.endswith("\n"):
            trimmed = spans[-1].text.rstrip("\n")
            spans[-1] = Span(trimmed)
            if trimmed:
                break
            spans.pop()
        return Reply(tuple(spans), tuple(self._rows), ephemeral, failure=failure)


def text_reply(text: str, *, ephemeral: bool = False, failure: Failure | None = None) -> Reply:
    """A reply of one plain text (`failure` when it says no)."""
    return Reply((Span(text),), ephemeral=ephemeral, failure=failure)


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
