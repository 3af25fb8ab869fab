"""Parsing saved society posts (text and uCoz-style HTML) into announcements."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.importers import ImportFormatError, parse_post
from bot.tags import tag_key

DATA = Path(__file__).parent / "data"
SAMPLE_TEXT = (DATA / "society-post.txt").read_text(encoding="utf-8")
SAMPLE_HTML = (DATA / "society-post.html").read_text(encoding="utf-8")
# ../shared/samples beside the checkout (the workplace lays it there for CI too).
SHARED_SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "samples" / "society-post.txt"

TITLE = "Congratulations from the Korean-Russian Friendship Society to the DRPK ISG"
SIGNATURE = "Korean-Russian Friendship Society"
TAGS = ("RUSSIA", "Korea", "DPRK ISG", "Friends of Korea", "DPRK-Russia relations", "DPRK")
CANONICAL = "https://krfs.ucoz.net/news/congratulations_to_the_dprk_isg/2020-08-15-412"
POSTSCRIPT = '\n\nP.S. Friendship & solidarity <forever>: 5 < 7 * 2_000 — "AT&T"\nsecond line kept'


def title_key(title: str) -> str:
    return "title:" + hashlib.sha256(tag_key(title).encode()).hexdigest()[:32]


def test_fixture_is_the_shared_sample() -> None:
    if not SHARED_SAMPLE.exists():
        pytest.skip("shared sample not present on this machine")
    assert SHARED_SAMPLE.read_text(encoding="utf-8") == SAMPLE_TEXT


def test_sample_text_post() -> None:
    post = parse_post(SAMPLE_TEXT, source="samples/society-post.txt")
    assert post.title == TITLE
    assert post.signature == SIGNATURE
    assert post.category == "English"
    assert post.views == 335
    assert post.created_by == "import:redstartvkp"
    assert post.tags == TAGS
    assert post.body.startswith("We cordially congratulate you")
    assert post.body.endswith("our two countries.")
    assert "August 15, 1945" in post.body
    assert "\n\n\n" not in post.body
    assert post.body.count("\n\n") == 8  # nine paragraphs, one blank line between each
    assert SIGNATURE not in post.body.split("\n\n")[-1]
    assert "Category:" not in post.body
    assert post.source_key == title_key(TITLE)
    assert post.source_url is None  # a file path is not a URL


def test_sample_html_post_mirrors_the_text() -> None:
    text = parse_post(SAMPLE_TEXT)
    page = parse_post(SAMPLE_HTML)
    assert page.title == TITLE  # from the eTitle cell, not the <title> with the site name
    assert page.signature == SIGNATURE
    assert page.category == "English"
    assert page.views == 335
    assert page.created_by == "import:redstartvkp"
    assert page.tags == TAGS  # the trailing duplicate "korea" is dropped by key
    assert page.body == text.body + POSTSCRIPT  # entities decoded, <br> is a line break
    assert "document.write" not in page.body
    assert "Not part of the post" not in page.body
    assert page.source_key == CANONICAL
    assert page.source_url == CANONICAL


def test_html_og_url_when_no_canonical() -> None:
    html = SAMPLE_HTML.replace('<link rel="canonical"', '<link rel="alternate"')
    post = parse_post(html)
    assert post.source_key == "https://krfs.ucoz.net/news/2020-08-15-412?utm=og"


def test_html_without_any_url_keys_on_title_like_the_text() -> None:
    html = SAMPLE_HTML.replace('rel="canonical"', 'rel="x"').replace('"og:url"', '"og:x"')
    assert parse_post(html).source_key == parse_post(SAMPLE_TEXT).source_key


def test_source_url_is_kept_when_given() -> None:
    post = parse_post(SAMPLE_TEXT, source="https://krfs.ucoz.net/news/412")
    assert post.source_url == "https://krfs.ucoz.net/news/412"
    assert post.source_key == title_key(TITLE)


def test_source_key_is_stable_across_spelling_of_the_title() -> None:
    shouted = SAMPLE_TEXT.replace(TITLE, "  " + TITLE.upper().replace(" ", "  "), 1)
    assert parse_post(shouted).source_key == parse_post(SAMPLE_TEXT).source_key


def test_crlf_line_endings() -> None:
    crlf = parse_post(SAMPLE_TEXT.replace("\n", "\r\n"))
    plain = parse_post(SAMPLE_TEXT)
    assert crlf == plain
    assert "\r" not in crlf.body
    assert parse_post(SAMPLE_HTML.replace("\n", "\r\n")) == parse_post(SAMPLE_HTML)


def test_byte_order_mark_is_ignored() -> None:
    assert parse_post("\ufeff" + SAMPLE_TEXT) == parse_post(SAMPLE_TEXT)


def test_metadata_missing() -> None:
    text = SAMPLE_TEXT.split("Category:")[0]
    post = parse_post(text)
    assert post.title == TITLE
    assert post.signature == SIGNATURE
    assert post.category is None
    assert post.views == 0
    assert post.created_by is None
    assert post.tags == ()
    assert post.body == parse_post(SAMPLE_TEXT).body


def test_metadata_on_one_line_with_partial_fields() -> None:
    post = parse_post("Title\n\nBody text.\n\nTags: a, b, A | Views: 1 234 | Total comments: 3\n")
    assert post.tags == ("a", "b")
    assert post.views == 1234
    assert post.category is None
    assert post.signature is None
    assert post.body == "Body text."


def test_russian_metadata_labels() -> None:
    post = parse_post(
        "Заголовок\n\nТекст.\n\nОбщество\n\nКатегория: Русский | Просмотров: 12 | "
        "Добавил: admin | Теги: КНДР, Россия\n"
    )
    assert (post.category, post.views, post.created_by) == ("Русский", 12, "import:admin")
    assert post.tags == ("КНДР", "Россия")
    assert post.signature == "Общество"


def test_verbatim_markup_characters_in_text() -> None:
    body = "Use <b>not bold</b> & *stars* _under_ `ticks` '; DROP TABLE x; --"
    post = parse_post(f"Title\n\n{body}\n")
    assert post.body == body


@pytest.mark.parametrize(
    "last",
    [
        "We wish you success.",  # a sentence, not a name
        "Long live the friendship!",
        "x" * 130,  # too long for a signature
    ],
)
def test_last_paragraph_that_is_not_a_signature(last: str) -> None:
    post = parse_post(f"Title\n\nFirst paragraph.\n\n{last}\n")
    assert post.signature is None
    assert post.body == f"First paragraph.\n\n{last}"


def test_signature_needs_a_blank_line_before_it() -> None:
    post = parse_post("Title\n\nFirst paragraph.\nThe Society\n")
    assert post.signature is None
    assert post.body == "First paragraph.\nThe Society"


def test_a_lone_short_paragraph_is_the_body_not_a_signature() -> None:
    post = parse_post("Title\n\nSee you there\n")
    assert post.signature is None
    assert post.body == "See you there"


@pytest.mark.parametrize("content", ["", "   \n\n\t", "\ufeff", "<html><body></body></html>"])
def test_empty_input_is_refused(content: str) -> None:
    with pytest.raises(ImportFormatError, match=r"empty|no title"):
        parse_post(content)


@pytest.mark.parametrize(
    "content",
    [
        "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
        "".join(chr(c) for c in range(1, 32)) * 20,
        "\ufffd\ufffd\ufffdbroken\ufffd\ufffd" * 50,
    ],
)
def test_garbage_is_refused(content: str) -> None:
    with pytest.raises(ImportFormatError, match=r"binary|not look like text"):
        parse_post(content)


@pytest.mark.parametrize(
    "content",
    [
        "Only a title",
        "Only a title\n\n\n",
        "Only a title\r\n\r\nCategory: English | Views: 3\r\n",
        "<html><head><title>Only a title</title></head><body></body></html>",
        '<div class="eTitle">Only a title</div>',
    ],
)
def test_title_only_is_refused(content: str) -> None:
    with pytest.raises(ImportFormatError, match="no body") as caught:
        parse_post(content)
    assert "Only a title" in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_html_fragment_without_ucoz_classes_falls_back_to_the_page_text() -> None:
    html = (
        "<html><head><title>Site - Page</title></head><body>"
        "<h1>Victory Day</h1><p>We remember &laquo;them&raquo;.</p><p>Second.</p>"
        "<p>The Society</p><p>Category: Русский | Views: 7</p></body></html>"
    )
    post = parse_post(html)
    assert post.title == "Victory Day"
    assert post.body == "We remember «them».\n\nSecond."
    assert post.signature == "The Society"
    assert (post.category, post.views) == ("Русский", 7)


def test_html_pre_keeps_its_lines() -> None:
    html = '<div class="eTitle">T</div><div class="eMessage"><pre>a  b\nc</pre></div>'
    assert parse_post(html).body == "a  b\nc"


def test_text_starting_with_a_non_html_angle_bracket_is_text() -> None:
    post = parse_post("<Important> meeting\n\n<b> is literal\n")
    assert post.title == "<Important> meeting"
    assert post.body == "<b> is literal"


_line = (
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc")),
        min_size=1,
        max_size=40,
    )
    .map(str.rstrip)
    .filter(lambda s: s.strip() != "")
)
_paragraph = st.lists(_line, min_size=1, max_size=4).map("\n".join)
_body = st.lists(_paragraph, min_size=1, max_size=5).map("\n\n".join)


@given(body=_body)
def test_body_round_trips_through_the_text_format(body: str) -> None:
    content = (
        f"A title\n\n{body}\n\n\nThe Society\n\n"
        "Category: English | Views: 5 | Added by: me | Tags: x\nTotal comments: 0\n"
    )
    post = parse_post(content)
    assert post.body == body
    assert post.signature == "The Society"
    assert post.views == 5


def test_html_import_keeps_bold_italic_links_and_list_lines() -> None:
    html = (
        '<div class="eTitle">Meeting</div><div class="eMessage"><p>A <b>bold</b> and '
        '<a href="https://krfs.example.org/x">a <i>link</i></a>; <a href="/rel">relative</a>.'
        "</p><ul><li>one</li>\n<li>two</li></ul><script>var x = '<b>no</b>';</script></div>"
    )
    post = parse_post(html)
    assert post.body == "A bold and a link; relative.\n\n• one\n• two"
    assert sorted((r.style.value, post.body[r.start : r.end], r.url) for r in post.body_styles) == [
        ("bold", "bold", None),
        ("italic", "link", None),
        ("link", "a link", "https://krfs.example.org/x"),  # a relative one has no page to resolve
    ]


def test_text_import_has_no_runs() -> None:
    assert parse_post(SAMPLE_TEXT).body_styles == ()
