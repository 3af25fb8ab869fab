"""Entry HTML → text and runs; what is dropped; the photo; the post limits; the metadata line."""

from __future__ import annotations

import json

import pytest

from bot.feeds import content
from bot.feeds.content.images import checked_image, file_name_of, is_tracker
from bot.feeds.content.limits import ELLIPSIS, MAX_BODY_LENGTH, hold_body
from bot.feeds.entries import FeedEntry, FeedError
from bot.formatting import Style, TextStyle
from bot.limits import MAX_CATEGORY_LENGTH, MAX_TITLE_LENGTH, MAX_VIEWS, storable_problem
from bot.photos import PhotoError
from tests.images import png

LINK = "https://krfs.example.org/news/1"


def entry(html: str, *, title: str = "T", link: str | None = LINK, language: str = "en",
          **extra: object) -> FeedEntry:
    item = {"id": "1", "title": title, "content_html": html, **extra}
    if link:
        item["url"] = link
    document = {"version": "https://jsonfeed.org/version/1.1", "language": language,
                "items": [item]}
    feed = content.parse_feed(json.dumps(document).encode(), content_type=None,
                              url="https://krfs.example.org/feed.json")
    return feed.entries[0]


def runs(e: FeedEntry) -> list[tuple[str, str, str | None]]:
    return [(r.style.value, e.draft.body[r.start : r.end], r.url) for r in e.draft.body_styles]


def test_bold_italic_links_and_line_breaks() -> None:
    e = entry(
        "<p>One <strong>bold</strong>, <em>italic</em> and "
        '<b><a href="/x">a bold link</a></b>.<br/>Next line<br><br>New paragraph</p>'
        '<p><span style="font-weight: bold">editor bold</span> <u>under</u> <s>gone</s></p>'
    )
    assert e.draft.body == (
        "One bold, italic and a bold link.\nNext line\n\nNew paragraph\n\neditor bold under gone"
    )
    assert sorted(runs(e)) == sorted(
        [
            ("bold", "bold", None),
            ("italic", "italic", None),
            ("link", "a bold link", "https://krfs.example.org/x"),
            ("bold", "a bold link", None),
            ("bold", "editor bold", None),
            ("underline", "under", None),
            ("strike", "gone", None),
        ]
    )


def test_list_items_are_lines() -> None:
    e = entry("<p>Bring:</p><ul><li>tea</li>\n  <li><b>cake</b></li></ul>"
              "<ol><li>first</li><li>second</li></ol><p>Thanks</p>")
    assert e.draft.body == "Bring:\n\n• tea\n• cake\n\n1. first\n2. second\n\nThanks"
    assert runs(e) == [("bold", "cake", None)]


def test_scripts_styles_iframes_forms_and_comments_are_dropped() -> None:
    e = entry(
        "<style>p{color:red}</style><p>Kept</p><script>alert('x')</script>"
        "<noscript>Enable JS</noscript><iframe src='https://v.example/1'>No frames</iframe>"
        "<form><label>Email</label><input name=e><button>Go</button></form>"
        "<!-- a comment --><object data='x.swf'>Flash</object><p>Also kept</p>"
    )
    assert e.draft.body == "Kept\n\nAlso kept"


@pytest.mark.parametrize(
    "pixel",
    [
        '<img src="https://krfs.example.org/p.gif" width="1" height="1">',
        '<img src="https://krfs.example.org/p.gif" width="2px" height="50">',
        '<img src="https://krfs.example.org/p.gif" style="width:1px;height:1px">',
        '<img src="https://krfs.example.org/p.gif" style="display: none">',
        '<img src="https://mc.yandex.ru/watch/1">',
        '<img src="https://www.google-analytics.com/collect?v=1">',
        '<img src="https://feeds.feedburner.com/~r/krfs/~4/x">',
        '<img src="https://krfs.example.org/stats/pixel.gif">',
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">',
        '<img src="javascript:void(0)">',
    ],
)
def test_tracking_pixels_are_not_the_photo(pixel: str) -> None:
    e = entry(f"<p>Text{pixel}</p><p><img src='/real.jpg' width='640' height='480'></p>")
    assert e.image_url == "https://krfs.example.org/real.jpg"
    assert e.draft.body == "Text"


def test_first_real_image_resolves_against_the_entry_link() -> None:
    e = entry("<p><img src='photos/a.jpg'><img src='/b.jpg'></p><p>x</p>",
              link="https://krfs.example.org/news/2025/item")
    assert e.image_url == "https://krfs.example.org/news/2025/photos/a.jpg"


def test_no_image_at_all() -> None:
    assert entry("<p>Only words</p>").image_url is None


def test_the_image_is_part_of_the_content_hash() -> None:
    with_image = entry("<p>Same</p><img src='/a.jpg'>")
    other_image = entry("<p>Same</p><img src='/b.jpg'>")
    assert with_image.draft.body == other_image.draft.body
    assert with_image.content_hash != other_image.content_hash


def test_long_title_is_cut_with_an_ellipsis() -> None:
    e = entry("<p>x</p>", title="word " * 100)
    assert len(e.title) <= MAX_TITLE_LENGTH
    assert e.title.endswith("word" + ELLIPSIS)
    assert e.draft.title == e.title


def test_long_body_is_cut_with_a_read_more_link() -> None:
    paragraph = "<p>" + "Friendship " * 50 + "</p>"
    e = entry("<p><b>Bold start</b></p>" + paragraph * 200)
    body = e.draft.body
    assert len(body) <= MAX_BODY_LENGTH
    assert storable_problem(e.draft) is None
    assert body.endswith(ELLIPSIS + "\n\nRead more")
    assert "Friendship" + ELLIPSIS in body  # cut at a boundary, not inside a word
    assert runs(e)[0] == ("bold", "Bold start", None)
    assert runs(e)[-1] == ("link", "Read more", LINK)


def test_read_more_is_in_the_feed_language() -> None:
    e = entry("<p>" + "Дружба " * 20_000 + "</p>", language="ru")
    assert e.draft.body.endswith("\n\nЧитать дальше")


def test_hold_body_keeps_runs_inside_the_cut_and_drops_the_link_without_an_address() -> None:
    body = "alpha beta gamma delta"
    styles = (TextStyle(Style.BOLD, 0, 10), TextStyle(Style.ITALIC, 17, 22))
    text, kept = hold_body(body, styles, link=None, limit=12)
    assert text == "alpha beta" + ELLIPSIS
    assert kept == (TextStyle(Style.BOLD, 0, 10),)
    assert hold_body(body, styles, link=LINK, limit=100) == (body, styles)


def test_english_metadata_line_is_used() -> None:
    e = entry(
        "<p>We congratulate you.</p><p>Second paragraph.</p>"
        "<p>Korean-Russian Friendship Society</p>"
        "<p>Category: English | Views: 335 | Added by: redstartvkp | Tags: RUSSIA, Korea</p>"
        "<p>Total comments: 0</p>",
        tags=["Korea", "Friends of Korea"],
    )
    assert e.draft.body == "We congratulate you.\n\nSecond paragraph."
    assert e.draft.signature == "Korean-Russian Friendship Society"
    assert e.draft.category == "English"
    assert e.draft.views == 335
    assert e.draft.created_by == "import:redstartvkp"
    assert e.draft.tags == ("RUSSIA", "Korea", "Friends of Korea")


def test_a_short_last_line_without_the_metadata_line_stays_in_the_body() -> None:
    e = entry("<p>Meeting on Thursday.</p><p>See you there</p>")
    assert e.draft.body == "Meeting on Thursday.\n\nSee you there"
    assert e.draft.signature is None


def test_an_entry_with_only_a_title_links_to_itself() -> None:
    e = entry("", title="Photo report")
    assert e.draft.body == "Read more"
    assert runs(e) == [("link", "Read more", LINK)]


def test_downloaded_image_is_checked_like_an_uploaded_photo() -> None:
    photo = checked_image(png(40, 30), "https://krfs.example.org/images/poster%20big.png?x=1")
    assert photo.mime_type == "image/png"
    assert photo.file_name == "poster_big.png"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"<html>not an image</html>", "not_image"),
        (png(1, 1), "dimensions"),  # a tracking pixel that did not say its size
        (png(2, 300), "dimensions"),
        (png(420, 20), "dimensions"),  # Telegram's 20:1 rule
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "unreadable"),
    ],
)
def test_downloaded_image_refusals(data: bytes, reason: str) -> None:
    with pytest.raises(PhotoError) as caught:
        checked_image(data, "https://krfs.example.org/a.png")
    assert caught.value.reason == reason


def test_tracker_hosts_match_subdomains_only_on_a_dot() -> None:
    assert is_tracker("https://a.b.doubleclick.net/x.gif")
    assert not is_tracker("https://notdoubleclick.net/x.jpg")
    assert not is_tracker("https://krfs.example.org/images/tracker-history.jpg")
    assert file_name_of("https://x.example/") == "photo.jpg"


def test_metadata_fields_are_held_to_what_can_be_stored() -> None:
    e = entry(
        "<p>Text.</p><p>Sig</p><p>Category: " + "c" * 300 + " | Views: 99999999999 | Added by: "
        + "a" * 150 + " | Tags: ok, " + "t" * 70 + "</p>"
    )
    assert len(e.draft.category or "") == MAX_CATEGORY_LENGTH
    assert e.draft.views == MAX_VIEWS
    assert e.draft.created_by is not None
    assert e.draft.created_by.startswith("import:aaa")
    assert e.draft.tags == ("ok",)  # a 70-character tag is no tag
    assert storable_problem(e.draft) is None


def test_an_entry_that_cannot_be_stored_is_skipped() -> None:
    items = [
        {"id": "nul", "title": "Bad", "content_text": "a\u0000b"},
        {"id": "fine", "title": "Fine", "content_text": "Good text."},
    ]
    document = {"version": "https://jsonfeed.org/version/1.1", "items": items}
    raw = json.dumps(document).encode()  # JSON's \\u0000 escape is a NUL once read
    feed = content.parse_feed(raw, content_type=None, url="https://krfs.example.org/f.json")
    assert [e.key for e in feed.entries] == ["fine"]
    with pytest.raises(FeedError, match="cannot be stored: the body contains a NUL"):
        content.parse_feed(json.dumps({**document, "items": items[:1]}).encode(),
                           content_type=None, url="https://krfs.example.org/f.json")
