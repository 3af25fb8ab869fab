"""A small real FeedParser for the poller's tests: feedparser for feeds, the importer for pages.

The real one is bot.feeds.content (formatting runs, images, metadata lines); this one keeps
the poller's tests independent of its details.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser

from bot.domain import NewAnnouncement
from bot.feeds.entries import FeedEntry, FeedError, ParsedFeed, content_hash, entry_key
from bot.importers import ImportFormatError, parse_post

_LINK = re.compile(rb'<a[^>]+href="([^"]*/news/[^"]+)"', re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")
_IMG = re.compile(r'<img[^>]+src="([^"]+)"', re.IGNORECASE)


class SimpleParser:
    """bot.feeds.entries.FeedParser, simply."""

    def parse_feed(self, body: bytes, *, content_type: str | None, url: str) -> ParsedFeed:
        """RSS, Atom or JSON Feed via feedparser; FeedError when it is not well-formed."""
        headers = {"content-type": content_type} if content_type else {}
        parsed: Any = feedparser.parse(body, response_headers=headers)
        problem = parsed.get("bozo_exception")
        if not parsed.get("version") or (
            problem is not None and not isinstance(problem, feedparser.CharacterEncodingOverride)
        ):
            raise FeedError(f"not a well-formed feed: {problem or 'unknown format'}")
        entries = []
        for item in parsed.entries:
            title = " ".join(str(item.get("title", "")).split())
            html = str(item.get("summary", "") or "")
            body_text = " ".join(_TAGS.sub(" ", html).split())
            found = _IMG.search(html)
            image = urljoin(url, found[1]) if found else None
            digest = content_hash(title, body_text, image)
            link = item.get("link") or None
            when = item.get("updated_parsed") or item.get("published_parsed")
            updated = datetime.fromtimestamp(calendar.timegm(when), UTC) if when else None
            key = entry_key(item.get("id"), link, digest)
            entries.append(
                FeedEntry(
                    key=key,
                    link=link,
                    title=title,
                    updated=updated,
                    content_hash=digest,
                    draft=NewAnnouncement(
                        title=title or "(untitled)",
                        body=body_text or title or "(empty)",
                        tags=tuple(t["term"] for t in item.get("tags", []) if t.get("term")),
                        source_url=link,
                        source_key=key,
                    ),
                    image_url=image,
                )
            )
        return ParsedFeed(parsed.feed.get("title"), tuple(entries))

    def parse_news_page(self, body: bytes, *, content_type: str | None, url: str) -> list[str]:
        """Links containing /news/ on the page."""
        return [urljoin(url, m.decode()) for m in _LINK.findall(body)]

    def parse_article(self, body: bytes, *, content_type: str | None, url: str) -> FeedEntry:
        """The importer's parser over the page."""
        try:
            new = parse_post(body.decode("utf-8", "replace"), source=url)
        except ImportFormatError as exc:
            raise FeedError(str(exc)) from None
        digest = content_hash(new.title, new.body, None)
        return FeedEntry(
            key=new.source_url or url,
            link=new.source_url or url,
            title=new.title,
            updated=None,
            content_hash=digest,
            draft=new,
        )
