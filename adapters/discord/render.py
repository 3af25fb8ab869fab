"""Styled text (replies and announcements alike) as Discord markdown, and embeds, within limits.

One markdown renderer (`adapters.discord.markdown.runs_markdown`, split by `take_runs`) serves
a reply's text and runs and an announcement's body and runs: the same escaping for both.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import discord

from adapters.discord.markdown import escape, take_runs, ulen
from bot.formatting import Style, Styles, TextStyle
from bot.ports import MessageKind, OutboundMessage
from bot.replies import Reply
from bot.runs import clip
from bot.tags import hashtag

CONTENT_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FOOTER_LIMIT = 2048
EMBEDS_PER_MESSAGE = 10
EMBED_TOTAL_LIMIT = 6000
# Below this much room left in a message, start the next message instead of a sliver embed.
_MIN_CHUNK = 512

COLOURS = {
    MessageKind.ANNOUNCEMENT: 0x5865F2,
    MessageKind.ANNIVERSARY: 0xF1C40F,
    MessageKind.REMINDER: 0x1ABC9C,
    MessageKind.RETRACTION: 0x95A5A6,
}


def _fit(text: str, budget: int) -> int:
    """The largest index i with ulen(text[:i]) <= budget."""
    if ulen(text) <= budget:
        return len(text)
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > budget:
            return index
    return len(text)


def _trailing_backslashes(text: str) -> int:
    return len(text) - len(text.rstrip("\\"))


def split_text(text: str, limit: int, runs: Styles = ()) -> list[str]:
    """Text with its runs as markdown parts of at most `limit` units each.

    Parts end on paragraph, line, then space boundaries outside any run short enough to keep
    whole; each part is escaped on its own, so none starts a heading, list or quote it was not.
    """
    parts: list[str] = []
    while text.strip():
        head, text, runs = take_runs(text, runs, limit)
        if head:
            parts.append(head)
    return parts


def render_reply(reply: Reply) -> list[str]:
    """The reply as one or more message contents of at most 2000 units."""
    return split_text(reply.text, CONTENT_LIMIT, reply.styles) or ["\u200b"]


@dataclass(slots=True)
class MessagePart:
    """One Discord message of an announcement: its embeds."""

    embeds: list[discord.Embed] = field(default_factory=list)
    content: str = ""

    def size(self) -> int:
        """Characters counted against the 6000 limit."""
        return sum(embed_size(e) for e in self.embeds)


def embed_size(embed: discord.Embed) -> int:
    """What Discord counts of an embed: title, description, footer (as we use them)."""
    return ulen(embed.title or "") + ulen(embed.description or "") + ulen(embed.footer.text or "")


def footer_text(message: OutboundMessage) -> str:
    """Category and tags, as the last embed's footer (the date is the embed's timestamp)."""
    parts: list[str] = []
    if message.category:
        parts.append(message.category)
    if message.tags:
        parts.append(" ".join(filter(None, map(hashtag, message.tags))))
    text = " · ".join(parts)
    return text[: _fit(text, FOOTER_LIMIT - 1)] + "…" if ulen(text) > FOOTER_LIMIT else text


def title_text(title: str) -> str:
    """The escaped title, cut to 256 units with an ellipsis when longer."""
    escaped = escape(title.strip())
    if ulen(escaped) <= TITLE_LIMIT:
        return escaped
    head = escaped[: _fit(escaped, TITLE_LIMIT - 1)]
    while _trailing_backslashes(head) % 2 == 1:
        head = head[:-1]
    return head + "…"


class _Body:
    """What is left of the body to place in embeds: text with its runs."""

    def __init__(self, message: OutboundMessage) -> None:
        self.text, self.runs = styled_body(message)

    def size(self) -> int:
        """Roughly how many units are left (markdown adds escapes and markers)."""
        return ulen(self.text)

    def take(self, room: int) -> str:
        """The next chunk of at most `room` units."""
        chunk, self.text, self.runs = take_runs(self.text, self.runs, room)
        return chunk


def styled_body(message: OutboundMessage) -> tuple[str, Styles]:
    """The body with its runs, and the signature as an italic last paragraph."""
    body = message.body.strip()
    start = len(message.body) - len(message.body.lstrip())
    runs = clip(message.body_styles, start, start + len(body))
    signature = (message.signature or "").strip()
    if not signature:
        return body, runs
    text = f"{body}\n\n{signature}" if body else signature
    italic = TextStyle(Style.ITALIC, len(text) - len(signature), len(text))
    return text, (*runs, italic)


def render_message(message: OutboundMessage) -> list[MessagePart]:
    """An announcement as messages of embeds: ≤10 embeds and ≤6000 units per message."""
    colour = COLOURS.get(message.kind, COLOURS[MessageKind.ANNOUNCEMENT])
    title = title_text(message.title)
    footer = footer_text(message)
    reserve = ulen(footer)
    rest = _Body(message)
    parts: list[MessagePart] = [MessagePart()]
    first = True
    while first or rest.size():
        part = parts[-1]
        own = ulen(title) if first else 0
        room = min(DESCRIPTION_LIMIT, EMBED_TOTAL_LIMIT - part.size() - own - reserve)
        full = len(part.embeds) >= EMBEDS_PER_MESSAGE
        if part.embeds and (full or room < min(_MIN_CHUNK, rest.size() or 1)):
            parts.append(MessagePart())
            continue
        chunk = rest.take(room)
        embed = discord.Embed(colour=colour, description=chunk or None)
        if first and title:
            embed.title = title
            # "Read on the website": the title links to the announcement's page.
            embed.url = message.link_url
        part.embeds.append(embed)
        first = False
    last = parts[-1].embeds[-1]
    if footer:
        last.set_footer(text=footer)
    # Discord shows the timestamp beside the footer, in each reader's own time zone and language.
    last.timestamp = message.published_at
    return parts
