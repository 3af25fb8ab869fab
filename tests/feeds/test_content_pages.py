"""A society's HTML news page: its item links, and one item's full page as an entry."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.feeds import content
from bot.feeds.entries import FeedError, draft_hash
from bot.importers import parse_post

FIXTURES = Path(__file__).parent / "fixtures"
DATA = Path(__file__).parents[1] / "data"
SAMPLE_HTML = (DATA / "society-post.html").read_bytes()
SAMPLE_URL = "https://krfs.ucoz.net/news/congratulations_to_the_dprk_isg/2020-08-15-412"


def links(name: str, url: str, content_type: str | None = "text/html") -> list[str]:
    body = (FIXTURES / name).read_bytes()
    return content.parse_news_page(body, content_type=content_type, url=url)


def test_ucoz_news_page_lists_its_items_in_page_order() -> None:
    assert links("news-page.html", "https://krfs.ucoz.net/news/") == [
        "https://krfs.ucoz.net/news/victory_day_meeting/2020-09-03-414",
        "https://krfs.ucoz.net/news/korean_language_courses/2020-08-28-413",
        SAMPLE_URL,
    ]


def test_ucoz_news_page_leaves_out_menus_pages_categories_comments_and_sidebars() -> None:
    found = links("news-page.html", "https://krfs.ucoz.net/news/")
    for not_an_item in ("/forum/", "?page2", "/news/1-0-2", "#comments", "old_story",
                        "kcna.kp", "korea.net", "/index/", "fake"):
        assert not any(not_an_item in url for url in found), not_an_item


def test_the_www_prefix_is_the_same_site() -> None:
    found = links("news-page.html", "https://www.krfs.ucoz.net/news/")
    assert len(found) == 3


def test_generic_news_page_uses_articles_and_headings() -> None:
    assert links("news-page-generic.html", "https://friends.example.org/news/") == [
        "https://friends.example.org/news/2025/spring-festival",
        "https://friends.example.org/news/2025/new-board",  # utm_* and #top dropped
    ]


def test_a_page_of_plain_links_takes_those_below_its_own_path() -> None:
    page = (
        b"<html><body><a href='/'>Home</a><a href='/about'>About</a>"
        b"<p><a href='/news/one'>One</a> <a href='two'>Two</a> <a href='/news/one'>again</a>"
        b"<a href='/news/two.pdf'>PDF</a> <a href='mailto:a@b'>mail</a></p></body></html>"
    )
    assert content.parse_news_page(page, content_type=None, url="https://s.example/news/") == [
        "https://s.example/news/one",
        "https://s.example/news/two",
    ]


def test_a_news_page_without_items_is_an_empty_list_and_an_empty_body_an_error() -> None:
    page = b"<html><body><p>No news yet.</p></body></html>"
    assert content.parse_news_page(page, content_type=None, url="https://s.example/news/") == []
    with pytest.raises(FeedError, match="empty"):
        content.parse_news_page(b" ", content_type=None, url="https://s.example/news/")


def test_the_sample_article_page() -> None:
    entry = content.parse_article(SAMPLE_HTML, content_type="text/html", url=SAMPLE_URL)
    assert entry.key == SAMPLE_URL
    assert entry.link == SAMPLE_URL
    assert entry.title == (
        "Congratulations from the Korean-Russian Friendship Society to the DRPK ISG"
    )
    draft = entry.draft
    assert draft.body.startswith("We cordially congratulate you")
    assert "\n\nP.S. Friendship & solidarity <forever>" in draft.body
    # What `herald import` makes of the same page, but keyed by the link the poller follows.
    imported = parse_post(SAMPLE_HTML.decode("utf-8"))
    assert replace(draft, source_key=imported.source_key) == imported
    assert draft.signature == "Korean-Russian Friendship Society"
    assert (draft.category, draft.views, draft.created_by) == ("English", 335, "import:redstartvkp")
    assert draft.tags == (
        "RUSSIA", "Korea", "DPRK ISG", "Friends of Korea", "DPRK-Russia relations", "DPRK"
    )
    assert draft.source_url == SAMPLE_URL  # the page's canonical address
    assert draft.source_key == entry.key
    assert entry.content_hash == draft_hash(draft, entry.image_url)


def test_a_russian_article_in_windows_1251_with_formatting_and_a_photo() -> None:
    body = (FIXTURES / "article-cp1251.html").read_bytes()
    url = "https://orkd.example.ru/news/pozdravlenie/2025-08-15-120?from=list"
    entry = content.parse_article(body, content_type="text/html", url=url)  # charset in <meta>
    assert entry.key == url
    assert entry.title == "Поздравление с Днём освобождения Кореи"
    assert entry.draft.body == (
        "Сердечно поздравляем всех членов общества с 80-летием освобождения Кореи.\n\n"
        "Дружба наших народов крепнет год от года."
    )
    styled = [(r.style.value, entry.draft.body[r.start : r.end], r.url)
              for r in entry.draft.body_styles]
    assert styled == [
        ("bold", "членов общества", None),
        ("link", "80-летием", "https://orkd.example.ru/news/istoriya/2024-08-15-100"),
        ("italic", "крепнет", None),
    ]
    assert entry.image_url == "https://orkd.example.ru/_nw/1/flag.jpg"  # the counter is not
    assert entry.draft.signature == "Правление общества"
    assert (entry.draft.category, entry.draft.views) == ("Новости", 1234)
    assert entry.draft.source_url == "https://orkd.example.ru/news/pozdravlenie/2025-08-15-120"


def test_a_long_article_is_cut_with_read_more_in_the_page_language() -> None:
    paragraph = "<p>" + "Дружба " * 100 + "</p>"
    page = (
        '<html lang="ru"><head><title>x</title></head><body><div class="eTitle">Длинная</div>'
        f'<div class="eMessage">{paragraph * 200}</div></body></html>'
    ).encode()
    entry = content.parse_article(page, content_type="text/html; charset=utf-8",
                                  url="https://orkd.example.ru/news/long")
    assert entry.draft.body.endswith("…\n\nЧитать дальше")
    link = entry.draft.body_styles[-1]
    assert link.url == "https://orkd.example.ru/news/long"


@pytest.mark.parametrize("body", [b"", b"\x00\x01\x02 binary", b"<html><body></body></html>"])
def test_an_unreadable_article_is_a_feed_error(body: bytes) -> None:
    with pytest.raises(FeedError, match="cannot be read as a post"):
        content.parse_article(body, content_type="text/html", url="https://s.example/news/1")
