"""The feed parser: RSS, Atom, JSON Feed and a society's HTML news pages → FeedEntry.

This module is a `bot.feeds.entries.FeedParser` (its functions have the Protocol's
signatures). Pure code: bytes in, entries out; no network, no database.
"""

from __future__ import annotations

import logging

from bot.feeds.content.convert import BadEntry, RawEntry, to_entry
from bot.feeds.content.encoding import decode
from bot.feeds.content.images import checked_image, first_image, is_tracker
from bot.feeds.content.json_feed import looks_like_json, read_json_feed
from bot.feeds.content.pages import parse_article, parse_news_page
from bot.feeds.content.xml_feed import read_xml_feed
from bot.feeds.entries import FeedEntry, FeedError, ParsedFeed

__all__ = [
    "checked_image",
    "first_image",
    "is_tracker",
    "parse_article",
    "parse_feed",
    "parse_news_page",
]

log = logging.getLogger(__name__)
# A feed is its newest entries; past this many it is an archive, whose older part (feeds list
# newest first) is not read: converting ten thousand entries would take seconds every poll.
MAX_ENTRIES = 500


def parse_feed(body: bytes, *, content_type: str | None, url: str) -> ParsedFeed:
    """An RSS, Atom or JSON Feed document (any declared encoding) → its entries.

    An entry that cannot be read is skipped (and logged); a feed none of whose entries
    can be read, or that is not a feed at all, is a FeedError.
    """
    if not body.strip():
        raise FeedError("the feed is empty")
    text = decode(body, content_type).text
    if looks_like_json(text, content_type):
        title, language, raws = read_json_feed(text, url=url)
    else:
        title, language, raws = read_xml_feed(text, url=url)
    entries: list[FeedEntry] = []
    problems: list[str] = []
    seen: set[str] = set()
    if len(raws) > MAX_ENTRIES:
        log.warning("feed %s: %d entries, only the first %d read", url, len(raws), MAX_ENTRIES)
        raws = raws[:MAX_ENTRIES]
    for raw in raws:
        entry = _entry(raw, url=url, language=language)
        if isinstance(entry, BadEntry):
            problems.append(str(entry))
            continue
        if entry.key in seen:
            problems.append(f"a second entry with the key {entry.key!r}")
            continue
        seen.add(entry.key)
        entries.append(entry)
    if problems:
        log.warning("feed %s: skipped %d entries (%s)", url, len(problems), problems[0])
    if raws and not entries:
        raise FeedError(f"none of the feed's {len(raws)} entries can be read: {problems[0]}")
    return ParsedFeed(title, tuple(entries))


def _entry(raw: RawEntry | BadEntry, *, url: str, language: str | None) -> FeedEntry | BadEntry:
    if isinstance(raw, BadEntry):
        return raw
    try:
        return to_entry(raw, base_url=url, language=language)
    except BadEntry as exc:
        return exc
