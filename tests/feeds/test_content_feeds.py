"""RSS 2.0, Atom and JSON Feed documents → FeedEntry (bot.feeds.content.parse_feed)."""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.feeds import content
from bot.feeds.entries import FeedEntry, FeedError, FeedParser, ParsedFeed, draft_hash

FIXTURES = Path(__file__).parent / "fixtures"
FEED_URL = "https://krfs.example.org/feed"


def parse(name: str, content_type: str | None = None) -> ParsedFeed:
    return content.parse_feed(
        (FIXTURES / name).read_bytes(), content_type=content_type, url=FEED_URL
    )


def runs_of(entry: FeedEntry) -> list[tuple[str, str, str | None]]:
    body = entry.draft.body
    return [(r.style.value, body[r.start : r.end], r.url) for r in entry.draft.body_styles]


def test_the_module_is_a_feed_parser() -> None:
    parser: FeedParser = content  # the module itself satisfies the Protocol
    assert parser.parse_feed is content.parse_feed


def test_rss20_entry_with_guid() -> None:
    feed = parse("rss20.xml", "application/rss+xml; charset=utf-8")
    assert feed.title == "Korean-Russian Friendship Society"
    first = feed.entries[0]
    assert first.key == "krfs-news-501"  # the guid, though the item has a link
    assert first.link == "https://krfs.example.org/news/concert/2025-08-10-501"
    assert first.title == "Concert for the 75th anniversary & a reception"
    assert first.updated == datetime(2025, 8, 10, 15, 30, tzinfo=UTC)
    assert first.draft.tags == ("Events", "Korea")
    assert first.draft.source_key == first.key
    assert first.draft.source_url == first.link
    assert first.draft.photo is None
    assert first.content_hash == draft_hash(first.draft, first.image_url)


def test_rss20_entry_html_becomes_runs() -> None:
    first = parse("rss20.xml").entries[0]
    assert first.draft.body == (
        "We invite all members to a concert on 15 August.\nDoors open at 18:00.\n\n"
        "Programme:\n\n• Arirang, folk song\n• Katyusha\n\n"
        "Details on our site and nowhere."
    )
    assert sorted(runs_of(first)) == sorted(
        [
            ("bold", "all members", None),
            ("italic", "concert", None),
            ("bold", "15 August", None),
            ("italic", "folk song", None),
            ("link", "our site",
             "https://krfs.example.org/news/concert/2025-08-10-501#program"),
        ]
    )


def test_rss20_drops_scripts_styles_frames_forms_and_pixels() -> None:
    first = parse("rss20.xml").entries[0]
    body = first.draft.body
    for gone in ("injected", "color", "frames", "Subscribe", "Sign up", "javascript"):
        assert gone not in body
    # 1x1, feedburner, a 2 px spacer and a hidden image come first; the poster is the photo,
    # not the enclosure that follows the text.
    assert first.image_url == "https://krfs.example.org/images/concert-poster.jpg"


def test_rss20_entry_without_guid_is_keyed_by_its_link() -> None:
    second = parse("rss20.xml").entries[1]
    assert second.key == "https://krfs.example.org/news/calligraphy/2025-08-01-500"
    assert second.draft.body == "The exhibition opens on 5 August."
    # No image in the text: the image enclosure is the photo.
    assert second.image_url == "https://krfs.example.org/images/calligraphy.jpg"


def test_rss20_entry_without_guid_or_link_is_keyed_by_its_content() -> None:
    third = parse("rss20.xml").entries[2]
    assert third.link is None
    assert third.updated is None
    title, body = "A note without an address", "Members' meeting moved to Thursday."
    normalized = "\x1f".join([title, body, ""])
    assert third.key == "sha256:" + hashlib.sha256(normalized.encode()).hexdigest()
    assert third.key == "sha256:" + third.content_hash


def test_rss20_entry_with_nothing_to_say_is_skipped_not_fatal() -> None:
    feed = parse("rss20.xml")
    assert len(feed.entries) == 3
    assert "empty-502" not in {entry.key for entry in feed.entries}


def test_atom_entries() -> None:
    feed = parse("atom.xml", "application/atom+xml")
    assert feed.title == "Общество дружбы"
    first, second = feed.entries
    assert first.key == "tag:krfs.example.org,2025:news-503"
    assert first.title == "Day of Liberation"  # an HTML title's markup dropped
    assert first.link == "https://krfs.example.org/news/liberation/2025-08-12-503"  # xml:base
    assert first.updated == datetime(2025, 8, 12, 7, 30, tzinfo=UTC)  # updated, not published
    assert first.draft.body == "On 15 August we mark the liberation."  # content over summary
    assert runs_of(first) == [
        ("bold", "15 August", None),
        ("link", "liberation", "https://krfs.example.org/news/history"),
    ]
    assert first.image_url == "https://krfs.example.org/images/flag.png"
    assert first.draft.tags == ("DPRK", "history")
    assert second.link is None  # feedparser's fallback to the tag: id is not a link
    assert second.draft.body == "First line.\n\nSecond line."
    assert runs_of(second) == [("italic", "line", None)]


def test_json_feed_entries() -> None:
    feed = parse("jsonfeed.json", "application/feed+json")
    assert feed.title == "Korean-Russian Friendship Society"
    film, notice, image_only = feed.entries  # the item that is not an object is skipped
    assert film.key == "news-505"
    assert film.updated == datetime(2025, 8, 14, 9, 15, tzinfo=UTC)  # date_modified wins
    assert film.draft.body == "We show a film about history."
    assert ("link", "history", "https://krfs.example.org/news/history") in runs_of(film)
    assert film.image_url == "https://krfs.example.org/images/film.jpg"
    assert film.draft.tags == ("Cinema", "Korea")
    assert notice.key == "506"  # a JSON Feed 1.0 numeric id
    assert notice.title == "The library is closed on Monday."  # no title: the first line
    assert notice.draft.body == "The library is closed on Monday.\n\nIt opens again on Tuesday."
    assert image_only.draft.body == "Only an image"
    assert image_only.image_url == "https://krfs.example.org/images/only.jpg"


def test_json_feed_is_recognised_without_a_json_content_type() -> None:
    feed = parse("jsonfeed.json", "text/plain")
    assert [e.key for e in feed.entries] == ["news-505", "506", "news-507"]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (b'{"items": []}', "not a JSON Feed"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": {}}', "no list of items"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": [1, 2]}', "none of the"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"version": ', "not valid JSON"),
    ],
)
def test_bad_json_feeds_are_feed_errors(document: bytes, message: str) -> None:
    with pytest.raises(FeedError, match=message):
        content.parse_feed(document, content_type="application/json", url=FEED_URL)


def test_malformed_xml_is_a_feed_error_naming_the_line() -> None:
    with pytest.raises(FeedError, match=r"not well-formed XML: mismatched tag at line 10"):
        parse("malformed.xml", "text/xml")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"<html><body><p>A page</p></body></html>", "not"),
        (b"plain words, not a feed", "not"),
        (b"<?xml version='1.0'?><rss version='2.0'><channel><title>x</channel>", "well-formed"),
    ],
)
def test_unusable_documents_are_feed_errors(document: bytes, message: str) -> None:
    with pytest.raises(FeedError, match=message):
        content.parse_feed(document, content_type="application/rss+xml", url=FEED_URL)


def test_html_entities_in_xml_are_read_not_refused() -> None:
    document = (
        b"<?xml version='1.0'?><rss version='2.0'><channel><title>T&nbsp;&laquo;x&raquo;</title>"
        b"<item><title>A&nbsp;b &amp; c</title><guid>1</guid><description>d&hellip;</description>"
        b"</item></channel></rss>"
    )
    feed = content.parse_feed(document, content_type="application/rss+xml", url=FEED_URL)
    assert feed.title == "T «x»"  # a no-break space is whitespace in a title
    assert feed.entries[0].title == "A b & c"
    assert feed.entries[0].draft.body == "d…"


def test_an_empty_feed_has_no_entries() -> None:
    document = b"<rss version='2.0'><channel><title>Quiet</title></channel></rss>"
    feed = content.parse_feed(document, content_type=None, url=FEED_URL)
    assert feed == ParsedFeed("Quiet", ())


def test_a_repeated_guid_keeps_the_first_entry() -> None:
    items = "".join(
        f"<item><title>{title}</title><guid>same</guid><description>{title} text</description>"
        "</item>"
        for title in ("First", "Second")
    )
    document = f"<rss version='2.0'><channel><title>T</title>{items}</channel></rss>".encode()
    feed = content.parse_feed(document, content_type=None, url=FEED_URL)
    assert [e.title for e in feed.entries] == ["First"]


def test_content_hash_changes_with_the_text_and_not_with_whitespace() -> None:
    def entry(text: str) -> FeedEntry:
        item = {"id": "1", "title": "T", "content_html": text}
        document = {"version": "https://jsonfeed.org/version/1.1", "items": [item]}
        feed = content.parse_feed(json.dumps(document).encode(), content_type=None, url=FEED_URL)
        return feed.entries[0]

    assert entry("<p>Hello  world</p>").content_hash == entry("<p>Hello world</p>\n").content_hash
    assert entry("<p>Hello world</p>").content_hash != entry("<p>Hello there</p>").content_hash
    assert entry("<p>Hello world</p>").key == entry("<p>Hello there</p>").key == "1"


def test_an_unchanged_entry_is_converted_once_and_the_cache_is_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.feeds.content import convert as module

    monkeypatch.setattr(module, "CACHE_SIZE", 3)
    monkeypatch.setattr(module, "_converted", OrderedDict())
    first = parse("rss20.xml").entries
    again = parse("rss20.xml").entries
    assert len(first) == 3
    assert all(a is b for a, b in zip(first, again, strict=True))  # read once, kept
    monkeypatch.setattr(module, "CACHE_SIZE", 2)
    atom = parse("atom.xml").entries
    assert list(module._converted.values()) == list(atom)  # the least recently used dropped


def test_an_archive_feed_is_read_up_to_its_first_500_entries() -> None:
    items = "".join(
        f"<item><guid>g{n}</guid><title>T{n}</title><description>x{n}</description></item>"
        for n in range(content.MAX_ENTRIES + 20)
    )
    document = f"<rss version='2.0'><channel><title>A</title>{items}</channel></rss>".encode()
    feed = content.parse_feed(document, content_type=None, url=FEED_URL)
    assert len(feed.entries) == content.MAX_ENTRIES
    assert (feed.entries[0].key, feed.entries[-1].key) == ("g0", f"g{content.MAX_ENTRIES - 1}")


def test_a_relative_permalink_guid_keeps_its_key_when_the_feed_moves() -> None:
    document = (
        b"<rss version='2.0'><channel><title>A</title><item><guid>12345</guid><title>T</title>"
        b"<description>x</description></item><item><title>U</title><link>/news/7</link>"
        b"<description>y</description></item></channel></rss>"
    )
    moves = {  # the feed's address: where its relative links lead
        "http://society.example/rss": ("http://society.example/12345",
                                       "http://society.example/news/7"),
        "https://www.society.example/news/rss": ("https://www.society.example/news/12345",
                                                 "https://www.society.example/news/7"),
    }  # fmt: skip
    for url, (permalink, link) in moves.items():
        first, second = content.parse_feed(document, content_type=None, url=url).entries
        assert first.key == "12345"  # the guid as written, not resolved against the feed
        assert first.link == permalink  # a permalink guid is still the entry's link
        assert second.key == second.link == link
