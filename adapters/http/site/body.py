"""An announcement's body as HTML: style runs become tags, every piece of text is escaped."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from bot.formatting import Style, Styles, TextStyle
from bot.runs import nest

_TAGS = {
    Style.BOLD: ("<strong>", "</strong>"),
    Style.ITALIC: ("<em>", "</em>"),
    Style.UNDERLINE: ("<u>", "</u>"),
    Style.STRIKE: ("<s>", "</s>"),
    Style.SPOILER: ('<span class="spoiler">', "</span>"),
    Style.CODE: ("<code>", "</code>"),
    Style.PRE: ("<pre>", "</pre>"),
    Style.QUOTE: ("<blockquote>", "</blockquote>"),
}
# Only addresses a browser opens as a page: never javascript:, data: or vbscript:.
_SAFE_URL = re.compile(r"^(https?://|mailto:)[^\s]+$", re.IGNORECASE)


def body_html(text: str, runs: Styles) -> Markup:
    """The text with its runs as nested HTML tags; unsafe links become plain text."""
    out: list[str] = []
    stack: list[TextStyle] = []
    pos = 0
    for run in nest(runs, len(text)):  # parents before children, properly nested
        while stack and stack[-1].end <= run.start:
            pos = _close(text, pos, stack.pop(), out)
        out.append(str(escape(text[pos : run.start])))
        pos = run.start
        out.append(_open(run))
        stack.append(run)
    while stack:
        pos = _close(text, pos, stack.pop(), out)
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))  # noqa: S704 - every fragment above is escaped or a fixed tag


def _close(text: str, pos: int, run: TextStyle, out: list[str]) -> int:
    out.append(str(escape(text[pos : run.end])))
    out.append(_closing(run))
    return run.end


def _open(run: TextStyle) -> str:
    if run.style is Style.LINK:
        if run.url and _SAFE_URL.match(run.url):
            return f'<a href="{escape(run.url)}" rel="nofollow ugc noopener">'
        return ""
    return _TAGS[run.style][0]


def _closing(run: TextStyle) -> str:
    if run.style is Style.LINK:
        return "</a>" if run.url and _SAFE_URL.match(run.url) else ""
    return _TAGS[run.style][1]


def feed_html(text: str, runs: Styles) -> Markup:
    """The body for feed readers, which have no stylesheet: line breaks as <br> outside <pre>."""
    html = str(body_html(text, runs))
    parts = re.split(r"(<pre>.*?</pre>)", html, flags=re.DOTALL)
    joined = "".join(p if p.startswith("<pre>") else p.replace("\n", "<br>\n") for p in parts)
    return Markup(joined)  # noqa: S704 - built from body_html's escaped output
