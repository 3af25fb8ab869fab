"""Neutral replies and announcements rendered as Discord markdown and embeds within the limits."""

from __future__ import annotations

from dataclasses import dataclass, field

import discord

from adapters.discord.markdown import escape, take_runs, ulen
from bot.formatting import Span, Style, Styles, TextStyle
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


def take(text: str, budget: int) -> tuple[str, str]:
    """Split off a head of at most `budget` units, on a paragraph, line or space boundary."""
    if ulen(text) <= budget:
        return text, ""
    limit = _fit(text, budget)
    window = text[:limit]
    for separator in ("\n\n", "\n", " "):
        cut = window.rfind(separator)
        if cut >= limit // 2:
            head, rest = text[:cut], text[cut + len(separator) :]
            return head.rstrip(), _protect_start(rest.lstrip("\n"))
    cut = max(limit, 1)
    # Never leave an escaping backslash alone at the end of a part.
    while cut > 1 and _trailing_backslashes(text[:cut]) % 2 == 1:
        cut -= 1
    return text[:cut], _protect_start(text[cut:])


def _trailing_backslashes(text: str) -> int:
    return len(text) - len(text.rstrip("\\"))


def _protect_start(text: str) -> str:
    """A part cut mid-line must not start a heading, list or quote it was not."""
    if text[:1] in ("#", "-", ">"):
        return "\\" + text
    return text


def split_text(text: str, limit: int) -> list[str]:
    """Split `text` into parts of at most `limit` units on paragraph, line, then space bounds."""
    parts: list[str] = []
    rest = text
    while rest:
        head, rest = take(rest, limit)
        if head:
            parts.append(head)
    return parts


def _span(span: Span) -> str:
    text = span.text
    if span.style is Style.BOLD:
        return f"**{escape(text)}**" if text.strip() else text
    if span.style is Style.ITALIC:
        return f"*{escape(text)}*" if text.strip() else text
    if span.style is Style.CODE:
        return f"`` {text} ``" if "`" in text else f"`{text}`"
    if span.style is Style.LINK and span.url:
        url = span.url.replace(")", "%29").replace(" ", "%20")
        label = escape(text).replace("]", "\\]") or url
        return f"[{label}](<{url}>)"
    return escape(text)


def reply_markdown(reply: Reply) -> str:
    """The reply as Discord markdown, user text escaped."""
    return "".join(_span(span) for span in reply.spans)


def render_reply(reply: Reply) -> list[str]:
    """The reply as one or more message contents of at most 2000 units."""
    return split_text(reply_markdown(reply), CONTENT_LIMIT) or ["\u200b"]


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


def body_text(message: OutboundMessage) -> str:
    """The escaped body with the signature, if any, on its own last line."""
    body = escape(message.body.strip())
    signature = (message.signature or "").strip()
    if signature:
        body = f"{body}\n\n*{escape(signature)}*" if body else f"*{escape(signature)}*"
    return body


class _Body:
    """What is left of the body to place in embeds: escaped markdown, or text with runs."""

    def __init__(self, message: OutboundMessage) -> None:
        self.markdown = ""
        self.text = ""
        self.runs: Styles = ()
        self.styled = bool(message.body_styles)
        if self.styled:
            self.text, self.runs = styled_body(message)
        else:
            self.markdown = body_text(message)

    def size(self) -> int:
        """Roughly how many units are left (exact for plain bodies)."""
        return ulen(self.text) if self.styled else ulen(self.markdown)

    def take(self, room: int) -> str:
        """The next chunk of at most `room` units."""
        if not self.styled:
            chunk, self.markdown = take(self.markdown, room)
            return chunk
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
