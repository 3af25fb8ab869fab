"""One raw feed entry (any feed format) → a FeedEntry: HTML to runs, metadata, limits, identity."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime

from bot.domain import NewAnnouncement
from bot.feeds.content.images import first_image
from bot.feeds.content.limits import hold_body, hold_fields, hold_title, read_more
from bot.feeds.entries import FeedEntry, draft_hash, entry_key
from bot.formatting import Style, TextStyle
from bot.i18n import normalize_language
from bot.importers.html_text import PageParser
from bot.importers.society_post import parse_count, split_post_body, styles_within
from bot.tags import MAX_TAG_LENGTH, display_name, split_tag_list, tag_key

# An entry without a title is titled by the start of its text, this long at most.
DERIVED_TITLE_LENGTH = 100
# Converted entries kept by their raw content: about 6 MB at a few kilobytes each.
CACHE_SIZE = 1024
_converted: OrderedDict[bytes, FeedEntry] = OrderedDict()


class BadEntry(ValueError):
    """One entry of a feed cannot become an announcement; the feed skips it."""


@dataclass(frozen=True, slots=True)
class RawEntry:
    """An entry as a feed format gives it, before Herald reads its content."""

    guid: str | None
    link: str | None
    title: str
    html: str | None = None  # the content as HTML
    text: str | None = None  # the content as plain text, when there is no HTML
    updated: datetime | None = None
    categories: tuple[str, ...] = ()
    media_images: tuple[str, ...] = ()  # enclosures, media:content, a JSON Feed `image`
    html_base: str | None = None  # the content's own base (Atom's xml:base), if any


def to_entry(raw: RawEntry, *, base_url: str, language: str | None = None) -> FeedEntry:
    """The entry ready to become an announcement; BadEntry when it has nothing to say.

    A feed that changed still repeats its other entries as they were: their conversion is
    kept (CACHE_SIZE entries, least recently used dropped), so a poll that finds one new
    entry reads the HTML of that one only (bench/feeds.py).
    """
    digest = hashlib.sha256(repr((raw, base_url, language)).encode("utf-8")).digest()
    found = _converted.get(digest)
    if found is not None:
        _converted.move_to_end(digest)
        return found
    entry = _convert(raw, base_url=base_url, language=language)
    _converted[digest] = entry
    while len(_converted) > CACHE_SIZE:
        _converted.popitem(last=False)
    return entry


def _convert(raw: RawEntry, *, base_url: str, language: str | None) -> FeedEntry:
    lang = normalize_language(language) or "en"
    link = raw.link.strip() if raw.link and raw.link.strip() else None
    image: str | None = None
    if raw.html is not None:
        # An explicit xml:base wins; else links are relative to the entry's own page.
        base = raw.html_base if raw.html_base and raw.html_base != base_url else None
        page = PageParser.parse(raw.html, base_url=base or link or base_url, fragment=True)
        text, runs = page.styled("all")
        image = first_image(page.images, raw.media_images)
    else:
        text, runs = (raw.text or "").strip(), ()
        image = first_image((), raw.media_images)
    parts = split_post_body(text)
    body, signature = parts.body, parts.signature
    if signature and not parts.meta:
        # A short last line is the society's signature only in its post format, which ends
        # with the metadata line; elsewhere it is the end of the text.
        body, signature = f"{body}\n\n{signature}", None
    styles = styles_within(text, runs, body)
    title = " ".join(raw.title.split())
    if not body:
        if link and title:
            label = read_more(lang)
            body, styles = label, (TextStyle(Style.LINK, 0, len(label), link),)
        elif title:
            body = title
    if not body:
        raise BadEntry("the entry has no title and no text")
    if not title:
        title = _derived_title(body)
    title = hold_title(title)
    body, styles = hold_body(body, styles, link=link, language=lang)
    meta = parts.meta
    draft = NewAnnouncement(
        title=title,
        body=body,
        tags=_tags(meta.get("tags", ""), raw.categories),
        category=meta.get("category") or None,
        signature=signature,
        source_url=link,
        views=parse_count(meta.get("views", "")),
        created_by=f"import:{meta['added_by']}" if meta.get("added_by") else None,
        body_styles=styles,
    )
    draft, problem = hold_fields(draft)
    if problem:
        raise BadEntry(f"the entry cannot be stored: {problem}")
    digest = draft_hash(draft, image)
    key = entry_key(raw.guid, link, digest)
    draft = replace(draft, source_key=key)
    return FeedEntry(key, link, draft.title, raw.updated, digest, draft, image)


def plain_title(title: str, *, html: bool) -> str:
    """A title as text: markup in an HTML title dropped, whitespace collapsed."""
    if html and "<" in title:
        title = PageParser.parse(title, fragment=True).text("all")
    return " ".join(title.split())


def _derived_title(body: str) -> str:
    first = body.split("\n", 1)[0].strip()
    return hold_title(first, DERIVED_TITLE_LENGTH)


def _tags(listed: str, categories: tuple[str, ...]) -> tuple[str, ...]:
    """Tags from the metadata line first, then the feed's categories, one per key."""
    names = split_tag_list(listed)
    seen = {tag_key(name) for name in names}
    for category in categories:
        name = display_name(category)
        key = tag_key(name)
        if key and key not in seen and max(len(key), len(name)) <= MAX_TAG_LENGTH:
            seen.add(key)
            names.append(name)
    return tuple(names)


