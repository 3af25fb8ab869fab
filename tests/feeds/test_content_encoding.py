"""Feeds in legacy encodings: Windows-1251 declared in the prolog, in HTTP only, or nowhere."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from bot.feeds import content
from bot.feeds.content.encoding import decode, guess_legacy

FIXTURES = Path(__file__).parent / "fixtures"
CP1251 = (FIXTURES / "rss-cp1251.xml").read_bytes()
PROLOG = b'<?xml version="1.0" encoding="windows-1251"?>'
TITLE = "Поздравление с Днём освобождения Кореи"
BODY = (
    "Сердечно поздравляем всех членов общества с 80-летием освобождения Кореи.\n\n"
    "Дружба наших народов «крепнет год от года»."
)
URL = "https://orkd.example.ru/news/rss/"


def test_fixture_is_real_windows_1251() -> None:
    assert CP1251.startswith(PROLOG)
    with pytest.raises(UnicodeDecodeError):
        CP1251.decode("utf-8")
    assert TITLE.encode("cp1251") in CP1251


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (CP1251, "application/rss+xml"),  # declared in the XML prolog
        (CP1251, "text/xml; charset=utf-8"),  # the server's charset is wrong: the prolog wins
        (CP1251.replace(PROLOG, b'<?xml version="1.0"?>'), "text/xml; charset=windows-1251"),
        (CP1251.replace(PROLOG, b'<?xml version="1.0"?>'), "application/rss+xml"),  # neither
        (CP1251.replace(PROLOG, b""), None),  # no prolog at all
    ],
    ids=["prolog", "prolog-over-wrong-http", "http-charset", "detected", "no-prolog"],
)
def test_windows_1251_feed_is_read(body: bytes, content_type: str | None) -> None:
    feed = content.parse_feed(body, content_type=content_type, url=URL)
    assert feed.title == "Общество российско-корейской дружбы"
    (entry,) = feed.entries
    assert entry.title == TITLE
    assert entry.draft.body == BODY
    styled = [(r.style.value, entry.draft.body[r.start : r.end]) for r in entry.draft.body_styles]
    assert styled == [("bold", "членов общества")]


def test_windows_1251_feed_carries_the_russian_metadata_line() -> None:
    (entry,) = content.parse_feed(CP1251, content_type=None, url=URL).entries
    assert entry.draft.category == "Новости"
    assert entry.draft.views == 1234
    assert entry.draft.created_by == "import:admin"
    assert entry.draft.signature == "Правление общества"
    # the metadata's tags first, then the feed's category (the same key is not repeated)
    assert entry.draft.tags == ("КНДР", "Россия", "дружба", "Новости")


def test_the_same_feed_in_utf8_gives_the_same_entry() -> None:
    utf8 = CP1251.decode("cp1251").replace("windows-1251", "utf-8").encode("utf-8")
    one = content.parse_feed(CP1251, content_type=None, url=URL).entries[0]
    other = content.parse_feed(utf8, content_type=None, url=URL).entries[0]
    assert one == other


def test_koi8_r_is_told_from_windows_1251() -> None:
    text = "Сердечно поздравляем всех членов общества с праздником"
    assert guess_legacy(text.encode("koi8_r")) == "koi8_r"
    assert guess_legacy(text.encode("cp1251")) == "cp1251"
    assert decode(text.encode("koi8_r")).text == text


def test_western_text_is_not_taken_for_cyrillic() -> None:
    text = "Café au lait, crème brûlée et über-fête à Noël"
    assert guess_legacy(text.encode("cp1252")) == "cp1252"
    assert decode(text.encode("cp1252")).text == text


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16", "utf-16-be"])
def test_byte_order_marks(codec: str) -> None:
    text = '<?xml version="1.0" encoding="windows-1251"?><rss version="2.0"/>'
    data = text.encode(codec)
    if codec == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data
    assert decode(data, "text/xml; charset=windows-1251").text == text


def test_unknown_charset_names_are_ignored() -> None:
    assert decode("да".encode(), "text/xml; charset=x-no-such-thing").text == "да"
