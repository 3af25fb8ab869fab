"""RSS and Atom through feedparser: the document checked, its entries as RawEntry."""

from __future__ import annotations

import calendar
import html.entities
import re
import time
import xml.sax
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser

from bot.feeds.content.convert import BadEntry, RawEntry, plain_title
from bot.feeds.content.encoding import as_utf8_xml
from bot.feeds.content.images import looks_like_image
from bot.feeds.entries import FeedError

_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]{1,31});")
_XML_ENTITIES = frozenset({"amp", "lt", "gt", "quot", "apos"})
_HTML_TYPES = ("text/html", "application/xhtml+xml", "html", "xhtml")


def read_xml_feed(
    text: str, *, url: str
) -> tuple[str | None, str | None, list[RawEntry | BadEntry]]:
    """An RSS or Atom document → its title, its language and its entries; FeedError if unusable."""
    data = as_utf8_xml(_numeric_entities(text))
    parsed = feedparser.parse(
        data,
        # No content-location: feedparser would resolve a relative permalink guid (`<guid>
        # 12345</guid>`) against it, and every entry's key would change with the feed's
        # address (a new redirect, http to https). Links are resolved here instead.
        response_headers={"content-type": "application/xml; charset=utf-8"},
        sanitize_html=False,
        # Relative addresses in the content are resolved by Herald's own HTML reader, against
        # the content's xml:base: feedparser's rewriting of every entry's HTML cost more than
        # the rest of its parse.
        resolve_relative_uris=False,
    )
    problem = parsed.get("bozo_exception")
    if parsed.get("bozo") and isinstance(problem, xml.sax.SAXException):
        raise FeedError(f"the feed is not well-formed XML: {_describe(problem)}")
    if not parsed.get("version"):
        raise FeedError("the document is not an RSS or Atom feed")
    feed = parsed.get("feed", {})
    title = plain_title(str(feed.get("title", "")), html=_is_html(feed.get("title_detail")))
    language = feed.get("language") or None
    return title or None, language, [_raw(entry, url) for entry in parsed.get("entries", [])]


def _raw(entry: Any, url: str) -> RawEntry | BadEntry:
    try:
        return _read(entry, url)
    except (TypeError, ValueError, AttributeError) as exc:
        return BadEntry(f"the entry cannot be read: {exc}")


def _read(entry: Any, url: str) -> RawEntry:
    title = plain_title(str(entry.get("title", "")), html=_is_html(entry.get("title_detail")))
    html, text, base = _content(entry)
    return RawEntry(
        guid=_text(entry.get("id")),
        link=_web(_absolute(url, entry.get("link"))),
        title=title,
        html=html,
        text=text,
        # dict.get: feedparser's own get() maps a missing updated to published, with a warning.
        updated=_time(dict.get(entry, "updated_parsed") or dict.get(entry, "published_parsed")),
        categories=tuple(
            str(tag.get("label") or tag.get("term") or "").strip()
            for tag in entry.get("tags", []) or []
            if tag.get("label") or tag.get("term")
        ),
        media_images=tuple(_absolute(url, image) or image for image in _media(entry)),
        html_base=base,
    )


def _content(entry: Any) -> tuple[str | None, str | None, str | None]:
    """The fullest content (Atom content / content:encoded, else the summary or description)
    as (html, text, its base address)."""
    candidates = [*(entry.get("content") or []), entry.get("summary_detail")]
    best: tuple[str | None, str | None, str | None] = (None, None, None)
    longest = -1
    for detail in candidates:
        if not detail or not detail.get("value"):
            continue
        value = str(detail.get("value"))
        if len(value) > longest:
            longest = len(value)
            html = _is_html(detail) or bool(re.search(r"</?[a-zA-Z][^>]*>", value))
            base = str(detail.get("base") or "") or None
            best = (value, None, base) if html else (None, value, base)
    return best


def _media(entry: Any) -> tuple[str, ...]:
    found: list[str] = []
    for item in entry.get("media_content", []) or []:
        url = str(item.get("url", ""))
        if url and (item.get("medium") == "image" or looks_like_image(url, item.get("type"))):
            found.append(url)
    for item in entry.get("enclosures", []) or []:
        url = str(item.get("href", ""))
        if url and looks_like_image(url, item.get("type")):
            found.append(url)
    for item in entry.get("media_thumbnail", []) or []:
        if item.get("url"):
            found.append(str(item["url"]))
    return tuple(dict.fromkeys(found))


def _absolute(base: str, value: Any) -> str | None:
    """A link of the feed made absolute against the feed's own address."""
    link = _text(value)
    if not link:
        return None
    try:
        return urljoin(base, link)
    except ValueError:
        return link


def _web(value: Any) -> str | None:
    """An entry's link when it is a web address (feedparser falls back to a `tag:` id)."""
    link = _text(value)
    return link if link and link.lower().startswith(("http://", "https://")) else None


def _is_html(detail: Any) -> bool:
    return bool(detail) and str(detail.get("type", "")).lower() in _HTML_TYPES


def _text(value: Any) -> str | None:
    return str(value).strip() or None if value else None


def _time(value: time.struct_time | None) -> datetime | None:
    """feedparser's UTC struct_time → an aware UTC datetime."""
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _numeric_entities(text: str) -> str:
    """HTML's named entities (`&nbsp;`, `&laquo;`) as numeric references XML understands."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in _XML_ENTITIES or name not in html.entities.name2codepoint:
            return match.group()
        return f"&#{html.entities.name2codepoint[name]};"

    return _ENTITY.sub(replace, text) if "&" in text else text


def _describe(problem: xml.sax.SAXException) -> str:
    if isinstance(problem, xml.sax.SAXParseException):
        return f"{problem.getMessage()} at line {problem.getLineNumber()}"
    return str(problem)
