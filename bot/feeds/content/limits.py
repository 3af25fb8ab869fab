"""Titles and bodies held to the post limits: cut at a boundary, ellipsis, a "Read more" link."""

from __future__ import annotations

from dataclasses import replace

from bot.domain import NewAnnouncement
from bot.formatting import Style, Styles, TextStyle
from bot.i18n import translate
from bot.limits import (
    MAX_BODY_LENGTH,
    MAX_CATEGORY_LENGTH,
    MAX_CREATED_BY_LENGTH,
    MAX_TITLE_LENGTH,
    MAX_VIEWS,
    storable_problem,
)
from bot.runs import clip, nest

__all__ = ["ELLIPSIS", "MAX_BODY_LENGTH", "hold_body", "hold_fields", "hold_title", "read_more"]

ELLIPSIS = "…"
_IMPORTED = "import:"


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


def hold_fields(draft: NewAnnouncement) -> tuple[NewAnnouncement, str | None]:
    """The draft's category, author and views held to what can be stored, and the problem
    that remains (a NUL character, say), if any (bot.limits)."""
    category = draft.category
    if category and len(category) > MAX_CATEGORY_LENGTH:
        category = hold_title(category, MAX_CATEGORY_LENGTH)
    author = draft.created_by
    if author and len(author) > MAX_CREATED_BY_LENGTH:
        author = _IMPORTED + hold_title(
            author.removeprefix(_IMPORTED), MAX_CREATED_BY_LENGTH - len(_IMPORTED)
        )
    held = replace(
        draft, category=category, created_by=author, views=max(0, min(draft.views, MAX_VIEWS))
    )
    return held, storable_problem(held)


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
