"""Telegram message entities (UTF-16 offsets) → neutral style runs (code points)."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import accumulate

from telegram import MessageEntity

from bot.formatting import Style, Styles, TextStyle
from bot.runs import nest

_STYLES = {
    MessageEntity.BOLD: Style.BOLD,
    MessageEntity.ITALIC: Style.ITALIC,
    MessageEntity.UNDERLINE: Style.UNDERLINE,
    MessageEntity.STRIKETHROUGH: Style.STRIKE,
    MessageEntity.SPOILER: Style.SPOILER,
    MessageEntity.CODE: Style.CODE,
    MessageEntity.PRE: Style.PRE,
    MessageEntity.TEXT_LINK: Style.LINK,
    MessageEntity.BLOCKQUOTE: Style.QUOTE,
    MessageEntity.EXPANDABLE_BLOCKQUOTE: Style.QUOTE,
}


def styles_from_entities(text: str, entities: Sequence[MessageEntity] | None) -> Styles:
    """The formatting entities of `text` as nested runs (mentions, urls, tags are not styles)."""
    if not entities:
        return ()
    # units[i] is where code point i starts in UTF-16; offsets map back by searching it.
    units = [0, *accumulate(2 if ord(c) > 0xFFFF else 1 for c in text)]
    index = {unit: i for i, unit in enumerate(units)}
    runs = []
    for entity in entities:
        style = _STYLES.get(entity.type)
        if style is None:
            continue
        start = _code_point(index, units, entity.offset)
        end = _code_point(index, units, entity.offset + entity.length)
        if style is Style.LINK and not entity.url:
            continue
        runs.append(
            TextStyle(
                style,
                start,
                end,
                url=entity.url if style is Style.LINK else None,
                language=(entity.language or None) if style is Style.PRE else None,
            )
        )
    return nest(tuple(runs), len(text))


def _code_point(index: dict[int, int], units: list[int], offset: int) -> int:
    """The code point at a UTF-16 offset; one inside a surrogate pair rounds up."""
    if offset in index:
        return index[offset]
    if offset >= units[-1]:
        return len(units) - 1
    return index.get(offset + 1, len(units) - 1)
