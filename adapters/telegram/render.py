"""Styled text (replies and announcements alike) → Telegram HTML parts, escaped, split safely.

One path: a plain text and its style runs become HTML (`runs_html`), cut into parts of at most
4096 UTF-16 units (`split_runs`) that end outside any run short enough to keep whole.
"""

from __future__ import annotations

import html
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.formatting import Style, Styles, TextStyle
from bot.ports import OutboundMessage
from bot.replies import Reply
from bot.runs import clip, nest, utf16_offsets
from bot.tags import hashtag

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
# Telegram shows the first 100 entities of a message and silently drops the rest.
MAX_ENTITIES = 100
_SAFE_URL = re.compile(r"^(https?|tg)://\S+$", re.IGNORECASE)
_RUN_TAGS = {
    Style.BOLD: "b",
    Style.ITALIC: "i",
    Style.UNDERLINE: "u",
    Style.STRIKE: "s",
    Style.SPOILER: "tg-spoiler",
    Style.CODE: "code",
    Style.QUOTE: "blockquote",
}
_LANGUAGE = re.compile(r"^[\w+#.-]{1,32}$")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the way Telegram counts."""
    return len(text.encode("utf-16-le")) // 2


def message_text(message: OutboundMessage) -> tuple[str, Styles]:
    """The announcement layout as plain text and runs: bold title, styled body, italic signature."""
    text = ""
    runs: list[TextStyle] = []
    for block, style, block_runs in _blocks(message):
        if text:
            text += "\n\n"
        if style is not None:
            runs.append(TextStyle(style, len(text), len(text) + len(block)))
        runs.extend(
            TextStyle(r.style, r.start + len(text), r.end + len(text), r.url, r.language)
            for r in block_runs
        )
        text += block
    return text, tuple(runs)


def _blocks(
    message: OutboundMessage,
) -> list[tuple[str, Style | None, Styles]]:
    blocks: list[tuple[str, Style | None, Styles]] = []
    if message.title.strip():
        blocks.append((message.title.strip(), Style.BOLD, ()))
    body = message.body.strip("\n").rstrip()
    if body.strip():
        start = len(message.body) - len(message.body.lstrip("\n"))
        blocks.append((body, None, clip(message.body_styles, start, start + len(body))))
    if message.signature and message.signature.strip():
        blocks.append((message.signature.strip(), Style.ITALIC, ()))
    tags = " ".join(t for t in (hashtag(tag) for tag in message.tags) if t)
    if tags:
        blocks.append((tags, None, ()))
    return blocks


def runs_html(text: str, runs: Styles) -> str:
    """Text with style runs as Telegram HTML: every fragment escaped, tags nested and closed."""
    return _html(text, nest(runs, len(text)))


def _html(text: str, runs: Styles) -> str:
    """`runs_html` for runs already nested (parents before children)."""
    out: list[str] = []
    stack: list[TextStyle] = []
    pos = 0
    for run in runs:
        while stack and stack[-1].end <= run.start:
            pos = _close(text, pos, stack.pop(), out)
        out.append(html.escape(text[pos : run.start], quote=False))
        pos = run.start
        out.append(_open_tag(run))
        stack.append(run)
    while stack:
        pos = _close(text, pos, stack.pop(), out)
    out.append(html.escape(text[pos:], quote=False))
    return "".join(out)


def _close(text: str, pos: int, run: TextStyle, out: list[str]) -> int:
    out.append(html.escape(text[pos : run.end], quote=False))
    out.append(_close_tag(run))
    return run.end


def _open_tag(run: TextStyle) -> str:
    if run.style is Style.LINK:
        if run.url and _SAFE_URL.match(run.url):
            return f'<a href="{html.escape(run.url, quote=True)}">'
        return ""
    if run.style is Style.PRE:
        if run.language and _LANGUAGE.match(run.language):
            return f'<pre><code class="language-{html.escape(run.language, quote=True)}">'
        return "<pre>"
    return f"<{_RUN_TAGS[run.style]}>"


def _close_tag(run: TextStyle) -> str:
    if run.style is Style.LINK:
        return "</a>" if run.url and _SAFE_URL.match(run.url) else ""
    if run.style is Style.PRE:
        return "</code></pre>" if run.language and _LANGUAGE.match(run.language) else "</pre>"
    return f"</{_RUN_TAGS[run.style]}>"


def render_text(text: str, runs: Styles, limit: int = TEXT_LIMIT) -> list[str]:
    """Styled text as numbered HTML parts, each within `limit` UTF-16 units of text."""
    return [
        # split_runs hands back nested runs: clipping keeps them nested.
        _html(part, part_runs) + html.escape(suffix, quote=False)
        for part, part_runs, suffix in split_runs(text, runs, limit)
    ]


def render_reply(reply: Reply, limit: int = TEXT_LIMIT) -> list[str]:
    """A reply as HTML parts, each within `limit` UTF-16 units of text."""
    return render_text(reply.text, reply.styles, limit)


def render_message(message: OutboundMessage, limit: int = TEXT_LIMIT) -> list[str]:
    """An outbound message as HTML parts, each within `limit` UTF-16 units of text."""
    return render_text(*message_text(message), limit)


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """The reply's buttons as an inline keyboard (callback data is the button's action)."""
    rows = [
        [
            InlineKeyboardButton(b.label, url=b.url)
            if b.url
            else InlineKeyboardButton(b.label, callback_data=b.action)
            for b in row
        ]
        for row in reply.buttons
        if row
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def split_runs(text: str, runs: Styles, limit: int = TEXT_LIMIT) -> list[tuple[str, Styles, str]]:
    """Split formatted text into parts (text, its runs, a `(i/n)` suffix) within `limit` units.

    A part never ends inside a run that fits a part whole; a longer run is closed at the cut
    and opened again in the next part. [] for blank text.
    """
    if not text.strip():
        return []
    runs = nest(runs, len(text))
    if utf16_len(text) <= limit and len(runs) <= MAX_ENTITIES:
        return [(text, runs, "")]
    units = utf16_offsets(text)
    starts = [r.start for r in runs]  # nested runs come in start order

    def fits(start: int, end: int) -> bool:
        """Whether a part keeps every entity Telegram will show."""
        inside = runs[: bisect_right(starts, end - 1)]
        return sum(1 for r in inside if r.end > start) <= MAX_ENTITIES

    def protected(budget: int) -> list[tuple[int, int]]:
        return sorted(
            (r.start, r.end)
            for r in runs
            if 0 <= r.start < r.end <= len(text) and units[r.end] - units[r.start] <= budget
        )

    bounds = _numbered_bounds(text, protected, limit, fits)
    total = len(bounds)
    return [
        (text[start:end], clip(runs, start, end), f"\n\n({i}/{total})" if total > 1 else "")
        for i, (start, end) in enumerate(bounds, 1)
    ]


def _numbered_bounds(
    text: str,
    protected: Callable[[int], list[tuple[int, int]]],
    limit: int,
    fits: Callable[[int, int], bool] | None = None,
) -> list[tuple[int, int]]:
    """Part ranges with room left for the widest `(i/n)` suffix their count needs."""
    digits = 1
    while True:
        suffix_units = utf16_len(f"\n\n({'9' * digits}/{'9' * digits})")
        budget = max(1, limit - suffix_units)
        bounds = _split_text(text, protected(budget), budget, fits)
        if len(str(len(bounds))) <= digits:
            return bounds
        digits += 1


def _split_text(
    text: str,
    links: list[tuple[int, int]],
    budget: int,
    fits: Callable[[int, int], bool] | None = None,
) -> list[tuple[int, int]]:
    """Code-point ranges of the parts: each within `budget` UTF-16 units, boundaries trimmed.

    `fits(start, end)`, when given, must also hold for every part (shorter parts are cut).
    """
    units = utf16_offsets(text)
    bounds: list[tuple[int, int]] = []
    pos, n = 0, len(text)
    while True:
        while pos < n and text[pos].isspace():
            pos += 1
        if pos >= n:
            return bounds
        furthest = bisect_right(units, units[pos] + budget) - 1
        while True:
            cut = n if furthest >= n else _boundary(text, pos, furthest, links, budget)
            end = cut
            while end > pos and text[end - 1].isspace():
                end -= 1
            if fits is None or furthest <= pos + 1 or fits(pos, end):
                break
            furthest = pos + max(1, (min(furthest, cut) - pos) * 3 // 4)
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
