"""Titles and bodies held to the post limits: cut at a boundary, ellipsis, a "Read more" link."""

from __future__ import annotations

from bot.commands.parsing import MAX_POST_LENGTH, MAX_TITLE_LENGTH
from bot.formatting import Style, Styles, TextStyle
from bot.i18n import translate
from bot.runs import clip, nest

ELLIPSIS = "…"
# The post limit counts the title line too; a body never leaves room for less than a title.
MAX_BODY_LENGTH = MAX_POST_LENGTH - MAX_TITLE_LENGTH - 1


def hold_title(title: str, limit: int = MAX_TITLE_LENGTH) -> str:
    """The title, cut at a word boundary with an ellipsis when longer than `limit`."""
    if len(title) <= limit:
        return title
    return _cut(title, limit - len(ELLIPSIS)) + ELLIPSIS


def hold_body(
    body: str,
    styles: Styles,
    *,
    link: str | None,
    language: str = "en",
    limit: int = MAX_BODY_LENGTH,
) -> tuple[str, Styles]:
    """The body and its runs, cut to `limit` with an ellipsis and a link to the whole entry."""
    if len(body) <= limit:
        return body, styles
    label = read_more(language) if link else ""
    tail = ELLIPSIS + (f"\n\n{label}" if label else "")
    kept = _cut(body, max(1, limit - len(tail)))
    text = kept + tail
    runs = clip(styles, 0, len(kept))
    if label and link:
        runs += (TextStyle(Style.LINK, len(text) - len(label), len(text), link),)
    return text, nest(runs, len(text))


def read_more(language: str) -> str:
    """The label of the link to a whole entry, in `language`."""
    return translate(language, "Read more")


def _cut(text: str, room: int) -> str:
    """`text[:room]`, ending at the last paragraph, line or word boundary in its second half."""
    head = text[:room]
    for boundary in ("\n\n", "\n", " "):
        at = head.rfind(boundary)
        if at >= room // 2:
            return head[:at].rstrip()
    return head.rstrip()
