"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1), which feedparser does not read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

from bot.feeds.content.convert import BadEntry, RawEntry, plain_title
from bot.feeds.entries import FeedError

VERSION_PREFIX = "https://jsonfeed.org/version/"


def looks_like_json(text: str, content_type: str | None) -> bool:
    """Whether a document is JSON: by its Content-Type, or by its first character."""
    if content_type and "json" in content_type.lower():
        return True
    return text.lstrip().startswith("{")


def read_json_feed(
    text: str, *, url: str
) -> tuple[str | None, str | None, list[RawEntry | BadEntry]]:
    """A JSON Feed → its title, its language and its entries; FeedError if unusable."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        message = f"{exc.msg} at line {exc.lineno}"
        raise FeedError(f"the JSON feed is not valid JSON: {message}") from None
    if not isinstance(document, dict):
        raise FeedError("the JSON feed is not a JSON object")
    version = document.get("version")
    if not isinstance(version, str) or not version.startswith(VERSION_PREFIX):
        raise FeedError("the JSON document is not a JSON Feed (no jsonfeed.org version)")
    items = document.get("items")
    if not isinstance(items, list):
        raise FeedError("the JSON Feed has no list of items")
    base = _string(document.get("home_page_url")) or url
    title = _string(document.get("title"))
    language = _string(document.get("language"))
    entries: list[RawEntry | BadEntry] = [
        _raw(item, base) if isinstance(item, dict) else BadEntry(f"item {n} is not an object")
        for n, item in enumerate(items, 1)
    ]
    return title, language, entries


def _raw(item: dict[str, Any], base: str) -> RawEntry:
    link = _string(item.get("url")) or _string(item.get("external_url"))
    if link:
        link = _absolute(base, link)
    html = _string(item.get("content_html"))
    text = None if html else _string(item.get("content_text")) or _string(item.get("summary"))
    images = [
        _absolute(link or base, value)
        for value in (_string(item.get("image")), _string(item.get("banner_image")))
        if value
    ]
    tags = item.get("tags")
    return RawEntry(
        guid=_guid(item.get("id")),
        link=link,
        title=plain_title(_string(item.get("title")) or "", html=False),
        html=html,
        text=text,
        updated=_date(item.get("date_modified")) or _date(item.get("date_published")),
        categories=tuple(str(tag) for tag in tags if isinstance(tag, str) and tag.strip())
        if isinstance(tags, list)
        else (),
        media_images=tuple(images),
    )


def _guid(value: Any) -> str | None:
    # 1.1 says the id is a string; 1.0 feeds sometimes give a number.
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | str):
        return str(value).strip() or None
    return None


def _string(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _absolute(base: str, url: str) -> str:
    try:
        return urljoin(base, url)
    except ValueError:
        return url


def _date(value: Any) -> datetime | None:
    """An RFC 3339 date → aware UTC; None when absent or unreadable (no offset means UTC)."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
