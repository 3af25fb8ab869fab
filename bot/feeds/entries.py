"""The contract between fetching/polling (bot.feeds) and parsing (bot.feeds.content).

`bot.feeds.content` implements `FeedParser` (its module-level functions `parse_feed`,
`parse_news_page` and `parse_article` have these signatures, so the module itself is a
`FeedParser`); the feed service takes any `FeedParser`, so tests can pass a small one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.domain import NewAnnouncement


class FeedError(ValueError):
    """The body is not a feed (or page) Herald can read; the message says why, in one line."""


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One entry of a source, parsed and ready to become (or edit) an announcement.

    `key` identifies the entry across polls: the feed's guid/id, else its link, else
    `"sha256:" + content_hash`. `updated` is aware UTC (None when the feed gives no date).
    `content_hash` is the sha256 hex of the normalized title, body, image URL and metadata
    (see `draft_hash()`): a different hash means the entry changed. `draft` carries what the
    announcement gets: title, body, body_styles, tags, category, signature, views, created_by,
    source_url (the entry's link) and source_key (the key); its `photo` is always None — the
    poller downloads `image_url` and checks it like an uploaded photo.
    """

    key: str
    link: str | None
    title: str
    updated: datetime | None
    content_hash: str
    draft: NewAnnouncement
    image_url: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A feed document: its own title and its entries in document order (newest first usually)."""

    title: str | None
    entries: tuple[FeedEntry, ...]


class FeedParser(Protocol):
    """Bytes fetched from a source → entries. Every function raises `FeedError` on bad input."""

    def parse_feed(self, body: bytes, *, content_type: str | None, url: str) -> ParsedFeed:
        """An RSS, Atom or JSON Feed document (any declared encoding) → its entries."""
        ...

    def parse_news_page(self, body: bytes, *, content_type: str | None, url: str) -> list[str]:
        """An HTML news page → the absolute links of its items, in page order."""
        ...

    def parse_article(self, body: bytes, *, content_type: str | None, url: str) -> FeedEntry:
        """One item's full HTML page (the importer's parser) → an entry keyed by its link."""
        ...


def content_hash(
    title: str, body: str, image_url: str | None, meta: Sequence[str] = ()
) -> str:
    """The sha256 hex of an entry's normalized title, body and image URL, and of its metadata
    (category, signature, author, tags) when it has any: a change to any of them is an edit.

    An entry without metadata hashes as before metadata counted, so stored hashes stay true.
    """
    parts = [title, body, image_url or ""]
    if any(meta):
        parts.extend(meta)
    normalized = "\x1f".join(" ".join(part.split()) for part in parts)
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()


def draft_hash(draft: NewAnnouncement, image_url: str | None) -> str:
    """content_hash() of what an entry's announcement shows: text, image and metadata line.

    Views are left out: the site's counter changes with every visit, the post does not.
    """
    meta = (
        draft.category or "",
        draft.signature or "",
        draft.created_by or "",
        "\x1e".join(draft.tags),
    )
    return content_hash(draft.title, draft.body, image_url, meta)


def entry_key(guid: str | None, link: str | None, digest: str) -> str:
    """An entry's identity: its guid or id, else its link, else its content hash."""
    for candidate in (guid, link):
        if candidate and candidate.strip():
            return candidate.strip()
    return "sha256:" + digest
