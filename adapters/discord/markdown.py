"""Style runs ↔ Discord markdown: rendering (text escaped, markers nested) and splitting."""

from __future__ import annotations

import re
from collections.abc import Sequence

from discord.utils import escape_markdown

from bot.formatting import Style, Styles, TextStyle
from bot.runs import clip, nest, utf16_offsets

_MARKS = {
    Style.BOLD: "**",
    Style.ITALIC: "*",
    Style.UNDERLINE: "__",
    Style.STRIKE: "~~",
    Style.SPOILER: "||",
}
_MARK_STRINGS = frozenset(_MARKS.values())
# Between a closing and an opening marker of the same character (invisible when shown).
SEPARATOR = "\u200b"
_SAFE_URL = re.compile(r"^https?://[^\s<>]+$", re.IGNORECASE)
_LANGUAGE = re.compile(r"^[\w+#.-]{1,32}$")


def ulen(text: str) -> int:
    """Length in UTF-16 code units, the safe way to count against Discord's limits."""
    return len(text.encode("utf-16-le")) // 2


def escape(text: str) -> str:
    """User text made inert: markdown escaped (links left intact)."""
    return escape_markdown(text, ignore_links=True)


def runs_markdown(text: str, runs: Styles) -> str:
    """Text with style runs as Discord markdown: text escaped, markers properly nested."""
    return _markdown(text, nest(runs, len(text)))


def _markdown(text: str, runs: Styles) -> str:
    """`runs_markdown` for runs already nested (parents before children)."""
    out: list[str] = []
    stack: list[TextStyle] = []
    pos = 0
    for run in _trimmed(runs, text):
        while stack and stack[-1].end <= run.start:
            pos = _close(text, pos, stack.pop(), out, stack)
        out.append(_plain(text[pos : run.start], stack))
        pos = run.start
        marker = _open(run, text)
        last = next((piece for piece in reversed(out) if piece), "")
        if marker and last in _MARK_STRINGS and last[0] == marker[0]:
            # `*a*` then `**b**` would run together as `***b**`: keep the markers apart.
            out.append(SEPARATOR)
        out.append(marker)
        stack.append(run)
    while stack:
        pos = _close(text, pos, stack.pop(), out, stack)
    out.append(escape(text[pos:]))
    return "".join(out)


def _trimmed(runs: Styles, text: str) -> list[TextStyle]:
    """Emphasis markers hug the text: `** a **` is not bold on Discord, `**a**` is.

    A run still covers every run inside it; `runs` are nested, parents first.
    """
    kept = list(runs)
    final: list[TextStyle | None] = list(kept)
    for i in reversed(range(len(kept))):
        run = kept[i]
        start, end = run.start, run.end
        if run.style in _MARKS or run.style is Style.LINK:
            piece = text[start:end]
            start, end = start + len(piece) - len(piece.lstrip()), end - (
                len(piece) - len(piece.rstrip())
            )
        for j in range(i + 1, len(kept)):
            if kept[j].start >= run.end:
                break
            child = final[j]
            if child is not None:
                start, end = min(start, child.start), max(end, child.end)
        # A masked link cannot span lines: its text stays, unlinked.
        crosses_lines = run.style is Style.LINK and "\n" in text[start:end]
        if start >= end or crosses_lines:
            final[i] = None
        elif (start, end) != (run.start, run.end):
            final[i] = TextStyle(run.style, start, end, run.url, run.language)
    return [run for run in final if run is not None]


def _plain(piece: str, stack: list[TextStyle]) -> str:
    escaped = escape(piece)
    if any(run.style is Style.LINK for run in stack):
        escaped = _escape_brackets(escaped)
    # Every line of a quote starts with `> `.
    return escaped.replace("\n", "\n> ") if _quoted(stack) else escaped


def _escape_brackets(escaped: str) -> str:
    """A link's text may hold no bare `[` or `]` (escape_markdown leaves most of them)."""
    out: list[str] = []
    backslashes = 0
    for char in escaped:
        if char in "[]" and backslashes % 2 == 0:
            out.append("\\")
        backslashes = backslashes + 1 if char == "\\" else 0
        out.append(char)
    return "".join(out)


def _quoted(stack: list[TextStyle]) -> bool:
    return any(run.style is Style.QUOTE for run in stack)


_DOUBLE_TICK = "`\u200b`"


def _code(piece: str) -> str:
    if "`" not in piece:
        return f"`{piece}`"
    return f"`` {piece.replace('``', _DOUBLE_TICK)} ``"


def _open(run: TextStyle, text: str) -> str:
    if run.style in _MARKS:
        return _MARKS[run.style]
    if run.style is Style.LINK:
        return "[" if _safe(run) else ""
    if run.style is Style.QUOTE:
        at_line_start = run.start == 0 or text[run.start - 1] == "\n"
        return ("" if at_line_start else "\n") + "> "
    return ""  # code and code blocks are written whole when they close


def _close(text: str, pos: int, run: TextStyle, out: list[str], outer: list[TextStyle]) -> int:
    piece = text[pos : run.end]
    quoted = _quoted([*outer, run])
    if run.style is Style.CODE:
        out.append(_code(text[run.start : run.end]))
    elif run.style is Style.PRE:
        language = run.language if run.language and _LANGUAGE.match(run.language) else ""
        body = text[run.start : run.end].replace("```", "`\u200b``")
        block = f"```{language}\n{body}\n```"
        out.append(block.replace("\n", "\n> ") if quoted else block)
    elif run.style is Style.QUOTE:
        out.append(_plain(piece, [run]))
        if run.end < len(text) and text[run.end] != "\n":
            out.append("\n")
    else:
        out.append(_plain(piece, [*outer, run]))
        if run.style in _MARKS:
            out.append(_MARKS[run.style])
        elif run.style is Style.LINK and _safe(run):
            # `)` would end the link early; `(` cannot (the address sits in `<...>`).
            url = (run.url or "").replace(")", "%29")
            out.append(f"](<{url}>)")
    return run.end


def _safe(run: TextStyle) -> bool:
    return bool(run.url and _SAFE_URL.match(run.url))


def take_runs(text: str, runs: Styles, budget: int) -> tuple[str, str, Styles]:
    """Markdown for a head of `text` within `budget` units, and the rest with its runs.

    The head ends on a paragraph, line or space outside any run short enough to keep whole;
    a longer run is closed at the cut and opened again in the rest.
    """
    runs = nest(runs, len(text))
    units = utf16_offsets(text)
    # Markdown is never shorter than its text: only a text that fits can fit whole.
    if units[-1] <= budget:
        whole = _markdown(text, runs)
        if ulen(whole) <= budget:
            return whole, "", ()
    limit = max(1, _fit(units, budget))
    while True:
        cut = _cut(text, runs, units, limit, budget)
        head = text[:cut].rstrip()
        markdown = _markdown(head, clip(runs, 0, len(head)))  # clipping keeps runs nested
        if ulen(markdown) <= budget or cut <= 1:
            break
        # Escapes and markers made it longer than the text: try again on a shorter head.
        limit = max(1, min(cut - 1, limit * budget // ulen(markdown)))
    rest_start = cut + len(text[cut:]) - len(text[cut:].lstrip())
    return markdown, text[rest_start:], clip(runs, rest_start, len(text))


def _fit(units: Sequence[int], budget: int) -> int:
    """How many code points fit in `budget` UTF-16 units."""
    lo, hi = 0, len(units) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if units[mid] <= budget:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _cut(text: str, runs: Styles, units: Sequence[int], limit: int, budget: int) -> int:
    """The best place to end a head of at most `limit` code points."""
    whole = [(r.start, r.end) for r in runs if units[r.end] - units[r.start] <= budget // 2]

    def inside(j: int) -> tuple[int, int] | None:
        return next(((a, b) for a, b in whole if a < j < b), None)

    for separator in ("\n\n", "\n", " "):
        hi = limit + len(separator)
        while True:
            j = text.rfind(separator, limit // 4 + 1, hi)
            if j < 0:
                break
            found = inside(j)
            if found is None:
                return j
            hi = found[0] + len(separator)
    found = inside(limit)
    if found is not None and found[0] > 0:
        return found[0]
    return limit
