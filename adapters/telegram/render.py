"""Neutral replies and messages → Telegram HTML parts, every user fragment escaped, split safely."""

from __future__ import annotations

import html
import re
import unicodedata
from bisect import bisect_right
from itertools import accumulate

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.ports import OutboundMessage
from bot.replies import Reply, Span, Style

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
_SAFE_URL = re.compile(r"^(https?|tg)://\S+$", re.IGNORECASE)
_NOT_HASHTAG = re.compile(r"\W+")
_TAG_OPEN = {Style.BOLD: "<b>", Style.ITALIC: "<i>", Style.CODE: "<code>"}
_TAG_CLOSE = {Style.BOLD: "</b>", Style.ITALIC: "</i>", Style.CODE: "</code>"}


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the way Telegram counts."""
    return len(text.encode("utf-16-le")) // 2


def span_html(span: Span) -> str:
    """One span as Telegram HTML, its text escaped."""
    text = html.escape(span.text, quote=False)
    if span.style is Style.LINK:
        if span.url and _SAFE_URL.match(span.url):
            return f'<a href="{html.escape(span.url, quote=True)}">{text}</a>'
        return text
    if span.style in _TAG_OPEN:
        return f"{_TAG_OPEN[span.style]}{text}{_TAG_CLOSE[span.style]}"
    return text


def spans_html(spans: list[Span] | tuple[Span, ...]) -> str:
    """Spans as one Telegram HTML string; empty spans are dropped (they would be empty tags)."""
    return "".join(span_html(span) for span in spans if span.text)


def hashtag(tag: str) -> str:
    """A tag as a Telegram hashtag: `Friends of Korea` → `#Friends_of_Korea`."""
    word = _NOT_HASHTAG.sub("_", tag.strip()).strip("_")
    return f"#{word}" if word else ""


def message_spans(message: OutboundMessage) -> list[Span]:
    """The announcement layout: bold title, body, italic signature, hashtags."""
    blocks: list[list[Span]] = []
    if message.title.strip():
        blocks.append([Span(message.title.strip(), Style.BOLD)])
    if message.body.strip():
        blocks.append([Span(message.body.strip("\n").rstrip())])
    if message.signature and message.signature.strip():
        blocks.append([Span(message.signature.strip(), Style.ITALIC)])
    tags = " ".join(t for t in (hashtag(tag) for tag in message.tags) if t)
    if tags:
        blocks.append([Span(tags)])
    spans: list[Span] = []
    for i, block in enumerate(blocks):
        if i:
            spans.append(Span("\n\n"))
        spans.extend(block)
    return spans


def render_reply(reply: Reply, limit: int = TEXT_LIMIT) -> list[str]:
    """A reply as HTML parts, each within `limit` UTF-16 units of text."""
    return [spans_html(part) for part in split_spans(list(reply.spans), limit)]


def render_message(message: OutboundMessage, limit: int = TEXT_LIMIT) -> list[str]:
    """An outbound message as HTML parts, each within `limit` UTF-16 units of text."""
    return [spans_html(part) for part in split_spans(message_spans(message), limit)]


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """The reply's buttons as an inline keyboard (callback data is the button's action)."""
    rows = [
        [InlineKeyboardButton(b.label, callback_data=b.action) for b in row]
        for row in reply.buttons
        if row
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def split_spans(spans: list[Span], limit: int = TEXT_LIMIT) -> list[list[Span]]:
    """Split spans into numbered parts of at most `limit` UTF-16 units; [] for blank text."""
    spans = [s for s in spans if s.text]
    text = "".join(s.text for s in spans)
    if not text.strip():
        return []
    if utf16_len(text) <= limit:
        return [spans]
    links: list[tuple[int, int]] = []
    offset = 0
    for span in spans:
        if span.style is Style.LINK:
            links.append((offset, offset + len(span.text)))
        offset += len(span.text)
    digits = 1
    while True:
        suffix_units = utf16_len(f"\n\n({'9' * digits}/{'9' * digits})")
        bounds = _split_text(text, links, max(1, limit - suffix_units))
        if len(str(len(bounds))) <= digits:
            break
        digits += 1
    total = len(bounds)
    if total == 1:
        return [_slice(spans, *bounds[0])]
    return [
        [*_slice(spans, start, end), Span(f"\n\n({i}/{total})")]
        for i, (start, end) in enumerate(bounds, 1)
    ]


def _slice(spans: list[Span], start: int, end: int) -> list[Span]:
    out: list[Span] = []
    offset = 0
    for span in spans:
        lo, hi = max(start, offset), min(end, offset + len(span.text))
        if lo < hi:
            out.append(Span(span.text[lo - offset : hi - offset], span.style, span.url))
        offset += len(span.text)
    return out


def _split_text(text: str, links: list[tuple[int, int]], budget: int) -> list[tuple[int, int]]:
    """Code-point ranges of the parts: each within `budget` UTF-16 units, boundaries trimmed."""
    units = [0, *accumulate(2 if ord(c) > 0xFFFF else 1 for c in text)]
    bounds: list[tuple[int, int]] = []
    pos, n = 0, len(text)
    while True:
        while pos < n and text[pos].isspace():
            pos += 1
        if pos >= n:
            return bounds
        furthest = bisect_right(units, units[pos] + budget) - 1
        if furthest >= n:
            end = n
            cut = n
        else:
            cut = _boundary(text, pos, furthest, links, budget)
            end = cut
        while end > pos and text[end - 1].isspace():
            end -= 1
        bounds.append((pos, end))
        pos = cut


def _inside_link(i: int, links: list[tuple[int, int]]) -> tuple[int, int] | None:
    for start, end in links:
        if start < i < end:
            return start, end
    return None


def _boundary(
    text: str, pos: int, furthest: int, links: list[tuple[int, int]], budget: int
) -> int:
    """Where to cut: paragraph, else line, else space, else a hard cut that keeps links whole."""
    # A boundary that leaves a part less than a quarter full is not worth it; try a finer one.
    floor = pos + max(1, (furthest - pos) // 4)
    for separator, minimum in (("\n\n", floor), ("\n", floor), (" ", pos + 1)):
        hi = furthest + len(separator)
        while True:
            j = text.rfind(separator, minimum, hi)
            if j < 0:
                break
            link = _inside_link(j, links)
            if link is None:
                return j
            hi = link[0] + len(separator)
    for j in range(furthest, pos, -1):
        if text[j].isspace() and _inside_link(j, links) is None:
            return j
    cut = furthest
    link = _inside_link(cut, links)
    if link is not None and link[0] > pos:
        cut = link[0]
    # Keep combining marks, variation selectors and joiners with the character before them.
    while cut > pos + 1 and unicodedata.category(text[cut]) in {"Mn", "Me", "Cf"}:
        cut -= 1
    return cut
