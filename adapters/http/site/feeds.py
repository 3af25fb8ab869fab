"""Feeds out: RSS 2.0, Atom 1.0 and JSON Feed 1.1 of the newest announcements (all, or a tag's)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from xml.etree import ElementTree as ET

from markupsafe import escape

from adapters.http.site.body import feed_html
from adapters.http.site.responses import Rendered
from adapters.http.site.visit import SiteConfig, Visit, tag_path
from bot.domain import Announcement
from bot.render import preview
from bot.site.service import Feed

ATOM = "http://www.w3.org/2005/Atom"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
XML = "http://www.w3.org/XML/1998/namespace"
FEED_KINDS = {
    "feed.rss": "application/rss+xml; charset=utf-8",
    "feed.atom": "application/atom+xml; charset=utf-8",
    "feed.json": "application/feed+json; charset=utf-8",
}
# An empty feed still needs an `updated`; a fixed one keeps its ETag stable.
NEVER = datetime(2000, 1, 1, tzinfo=UTC)

ET.register_namespace("atom", ATOM)
ET.register_namespace("content", CONTENT)


def render_feed(kind: str, feed: Feed, visit: Visit, config: SiteConfig) -> Rendered:
    """The feed in one format; Last-Modified is when its entries (or a retraction) last changed."""
    prefix = "" if feed.tag is None else tag_path(feed.tag.name)
    context = _Context(feed, visit, config, prefix)
    body = {"feed.rss": _rss, "feed.atom": _atom, "feed.json": _json}[kind](context)
    return Rendered.of(body, FEED_KINDS[kind], last_modified=feed.updated)


class _Context:
    def __init__(self, feed: Feed, visit: Visit, config: SiteConfig, prefix: str) -> None:
        self.feed = feed
        self.visit = visit
        self.site = config.name
        self.title = config.name + ("" if feed.tag is None else f" · #{feed.tag.name}")
        self.home = visit.absolute(prefix or "/")
        self.prefix = prefix
        self.updated = feed.updated or NEVER

    def self_url(self, kind: str) -> str:
        return self.visit.absolute(f"{self.prefix}/{kind}")

    def url(self, item: Announcement) -> str:
        # The permalink is the entry's id in every format: stable across edits and formats.
        return self.visit.absolute(f"/announcements/{item.id}")

    def photo_url(self, item: Announcement) -> str:
        return self.visit.absolute(f"/announcements/{item.id}/photo")

    def content(self, item: Announcement) -> str:
        html = str(feed_html(item.body, item.body_styles))
        if item.id in self.feed.photos:
            html = f'<p><img src="{self.photo_url(item)}" alt=""></p>\n' + html
        if item.signature:
            html += "<br>\n<em>" + str(escape(item.signature)) + "</em>"
        return html


def _published(item: Announcement) -> datetime:
    return item.published_at or item.created_at


def _rfc3339(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _rss(c: _Context) -> bytes:
    rss = ET.Element("rss", {"version": "2.0"})
    channel = _sub(rss, "channel")
    _sub(channel, "title", c.title)
    _sub(channel, "link", c.home)
    _sub(channel, "description", c.title)
    _sub(channel, "language", c.visit.lang)
    _sub(channel, "lastBuildDate", format_datetime(c.updated.astimezone(UTC), usegmt=True))
    _sub(channel, "generator", "Herald")
    _sub(channel, f"{{{ATOM}}}link", href=c.self_url("feed.rss"), rel="self",
         type="application/rss+xml")
    for item in c.feed.items:
        entry = _sub(channel, "item")
        _sub(entry, "title", item.title)
        _sub(entry, "link", c.url(item))
        _sub(entry, "guid", c.url(item), isPermaLink="true")
        _sub(entry, "pubDate", format_datetime(_published(item).astimezone(UTC), usegmt=True))
        _sub(entry, f"{{{ATOM}}}updated", _rfc3339(item.updated_at))
        _sub(entry, "description", preview(item.body, 300))
        _sub(entry, f"{{{CONTENT}}}encoded", c.content(item))
        for name in item.tags:
            _sub(entry, "category", name)
        facts = c.feed.photos.get(item.id)
        if facts is not None:
            _sub(entry, "enclosure", url=c.photo_url(item), length=str(facts.size),
                 type=facts.mime_type)
    return _xml(rss)


def _atom(c: _Context) -> bytes:
    feed = ET.Element(f"{{{ATOM}}}feed", {f"{{{XML}}}lang": c.visit.lang})
    _sub(feed, f"{{{ATOM}}}id", c.home)
    _sub(feed, f"{{{ATOM}}}title", c.title)
    _sub(feed, f"{{{ATOM}}}updated", _rfc3339(c.updated))
    _sub(feed, f"{{{ATOM}}}link", rel="self", type="application/atom+xml",
         href=c.self_url("feed.atom"))
    _sub(feed, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=c.home)
    author = _sub(feed, f"{{{ATOM}}}author")
    _sub(author, f"{{{ATOM}}}name", c.site)
    _sub(feed, f"{{{ATOM}}}generator", "Herald")
    for item in c.feed.items:
        entry = _sub(feed, f"{{{ATOM}}}entry")
        _sub(entry, f"{{{ATOM}}}id", c.url(item))
        _sub(entry, f"{{{ATOM}}}title", item.title)
        _sub(entry, f"{{{ATOM}}}published", _rfc3339(_published(item)))
        _sub(entry, f"{{{ATOM}}}updated", _rfc3339(item.updated_at))
        _sub(entry, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=c.url(item))
        facts = c.feed.photos.get(item.id)
        if facts is not None:
            _sub(entry, f"{{{ATOM}}}link", rel="enclosure", type=facts.mime_type,
                 length=str(facts.size), href=c.photo_url(item))
        for name in item.tags:
            _sub(entry, f"{{{ATOM}}}category", term=name, scheme=c.visit.absolute("/tags/"))
        _sub(entry, f"{{{ATOM}}}summary", preview(item.body, 300))
        _sub(entry, f"{{{ATOM}}}content", c.content(item), type="html")
    return _xml(feed)


def _xml(root: ET.Element) -> bytes:
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data


def _json(c: _Context) -> bytes:
    items: list[dict[str, Any]] = []
    for item in c.feed.items:
        entry: dict[str, Any] = {
            "id": c.url(item),
            "url": c.url(item),
            "title": item.title,
            "content_html": c.content(item),
            "summary": preview(item.body, 300),
            "date_published": _rfc3339(_published(item)),
            "date_modified": _rfc3339(item.updated_at),
        }
        if item.tags:
            entry["tags"] = list(item.tags)
        facts = c.feed.photos.get(item.id)
        if facts is not None:
            entry["image"] = c.photo_url(item)
            entry["attachments"] = [
                {"url": c.photo_url(item), "mime_type": facts.mime_type,
                 "size_in_bytes": facts.size}
            ]
        items.append(entry)
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": c.title,
        "home_page_url": c.home,
        "feed_url": c.self_url("feed.json"),
        "language": c.visit.lang,
        "items": items,
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode()
