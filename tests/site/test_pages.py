"""The website's pages over a real database: what shows, what never shows, languages, headers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain import AnniversaryFields
from bot.formatting import Photo, Style, TextStyle
from bot.ports import ManualClock
from storage.repository import Repository
from tests.images import png
from tests.site.world import open_site


async def test_latest_shows_published_only_newest_first(
    repo: Repository, clock: ManualClock
) -> None:
    async with open_site(repo, clock) as site:
        await site.post("Older post", "First words.")
        clock.advance(60)
        await site.post("A draft", "Not yet.", draft=True)
        await site.post("Newer post", "Second words.", tags=("Friends of Korea",))
        response = await site.client.get("/")
        html = await response.text()
    assert response.status == 200
    assert html.index("Newer post") < html.index("Older post")
    assert "A draft" not in html
    assert 'href="/tags/friends_of_korea"' in html


async def test_permalink_shows_title_local_date_tags_body_photo_and_views(
    repo: Repository, clock: ManualClock
) -> None:
    clock.set(datetime(2026, 8, 14, 22, 30, tzinfo=UTC))  # already 15 August in Moscow
    body = "Bold and a link."
    styles = (TextStyle(Style.BOLD, 0, 4), TextStyle(Style.LINK, 11, 15, "https://example.org/"))
    async with open_site(repo, clock) as site:
        aid = await site.post(
            "Founding day", body, tags=("History",), styles=styles, photo=Photo(png(), "image/png")
        )
        response = await site.client.get(f"/announcements/{aid}")
        html = await response.text()
        photo = await site.client.get(f"/announcements/{aid}/photo")
        photo_bytes = await photo.read()
    assert response.status == 200
    assert "<h1>Founding day</h1>" in html
    assert "August 15, 2026, 01:30" in html
    assert '<strong>Bold</strong> and a <a href="https://example.org/"' in html
    assert 'href="/tags/history">#History</a>' in html
    assert f'src="/announcements/{aid}/photo"' in html
    assert "Views: 0 in chats, 0 on the website" in html
    assert photo.status == 200
    assert photo.content_type == "image/png"
    assert photo_bytes == png()


async def test_draft_scheduled_and_retracted_are_unreachable(
    repo: Repository, clock: ManualClock
) -> None:
    async with open_site(repo, clock) as site:
        draft = await site.post("Draft title", "Secret draft body.", draft=True)
        scheduled = await site.post("Scheduled title", "Secret scheduled body.", draft=True)
        await site.announcements.schedule(
            scheduled, clock.now() + timedelta(days=1), actor="cli:test"
        )
        retracted = await site.post("Retracted title", "Withdrawn body.", tags=("Gone",),
                                    photo=Photo(png(), "image/png"))
        await site.announcements.retract(retracted, actor="cli:test")
        site.routes.forget()
        answers = {}
        for aid in (draft, scheduled, retracted):
            page = await site.client.get(f"/announcements/{aid}")
            photo = await site.client.get(f"/announcements/{aid}/photo")
            answers[aid] = (page.status, await page.text(), photo.status)
        listing = await (await site.client.get("/")).text()
        search = await (await site.client.get("/search", params={"q": "secret"})).text()
        tag = await site.client.get("/tags/gone")
        missing = await site.client.get("/announcements/99999")
        not_a_number = await site.client.get("/announcements/abc")
    assert answers[draft][0] == 404
    assert answers[scheduled][0] == 404
    assert answers[retracted][0] == 410
    assert "This announcement was withdrawn." in answers[retracted][1]
    for _status, html, photo_status in answers.values():
        assert "Secret" not in html
        assert "Withdrawn body" not in html
        assert photo_status == 404
    for html in (listing, search):
        for title in ("Draft title", "Scheduled title", "Retracted title"):
            assert title not in html
    assert tag.status == 404
    assert missing.status == 404
    assert not_a_number.status == 404


async def test_tag_page_and_search_use_the_store(repo: Repository, clock: ManualClock) -> None:
    async with open_site(repo, clock) as site:
        await site.post("Concert", "A concert of Korean songs.", tags=("Culture", "Music"))
        await site.post("Lecture", "A lecture on history.", tags=("Culture",))
        tag = await (await site.client.get("/tags/CULTURE")).text()
        music = await (await site.client.get("/tags/music")).text()
        found = await (await site.client.get("/search", params={"q": "korean song"})).text()
        empty = await (await site.client.get("/search", params={"q": "nothing here"})).text()
        tags = await (await site.client.get("/tags")).text()
    assert "Tagged Culture (2)" in tag
    assert "Concert" in tag
    assert "Lecture" in tag
    assert "Concert" in music
    assert "Lecture" not in music
    assert "Found 1" in found
    assert "Concert" in found
    assert "Nothing matches these words." in empty
    assert "#Culture</a> <span class=\"count\">2</span>" in tags


async def test_paging_and_bad_page_numbers(repo: Repository, clock: ManualClock) -> None:
    async with open_site(repo, clock) as site:
        for n in range(25):
            clock.advance(1)
            await site.post(f"Post {n:02d}", f"Body {n}.")
        first = await (await site.client.get("/")).text()
        second = await (await site.client.get("/", params={"page": "2"})).text()
        bad = await site.client.get("/", params={"page": "abc"})
        zero = await site.client.get("/", params={"page": "0"})
        beyond = await site.client.get("/", params={"page": "3"})
        # The chat's page rule: ASCII digits, at most 1,000 (deep offsets cost every reader).
        others = [
            (await site.client.get("/", params={"page": page})).status
            for page in ("1001", "٣", "²", "-1", "")
        ]
        bad_text = await bad.text()
    assert "Post 24" in first
    assert "Post 05" in first
    assert "Post 04" not in first
    assert "Post 04" in second
    assert "Page 2 of 2" in second
    assert 'rel="next" href="/?page=2"' in first
    assert bad.status == 400
    assert zero.status == 400
    assert others == [400] * 5
    assert "The page number must be a whole number, 1 or more." in bad_text
    assert "Traceback" not in bad_text
    assert beyond.status == 404


async def test_language_from_query_then_accept_language(
    repo: Repository, clock: ManualClock
) -> None:
    async with open_site(repo, clock) as site:
        await site.post("Post", "Body.")
        russian = await site.client.get("/", params={"lang": "ru"})
        ru_html = await russian.text()
        korean = await site.client.get("/", headers={"Accept-Language": "de, ko;q=0.8, ru;q=0.5"})
        ko_html = await korean.text()
        unknown = await site.client.get("/", params={"lang": "xx"})
        unknown_html = await unknown.text()
    assert '<html lang="ru">' in ru_html
    assert "Последние объявления" in ru_html
    assert 'href="/tags?lang=ru"' in ru_html  # the choice follows the reader's links
    assert '<html lang="ko">' in ko_html
    assert korean.headers["Content-Language"] == "ko"
    assert unknown.status == 200
    assert '<html lang="en">' in unknown_html


async def test_anniversaries_page_shows_ordinals(repo: Repository, clock: ManualClock) -> None:
    async with open_site(repo, clock) as site:
        await site.anniversaries.add(
            AnniversaryFields(title="Liberation Day", month=8, day=15, year=1945),
            actor="cli:test",
        )
        english = await (await site.client.get("/anniversaries")).text()
        russian = await (await site.client.get("/anniversaries", params={"lang": "ru"})).text()
    assert "Liberation Day" in english
    assert "81st anniversary" in english
    assert "(in 1 days)" in english
    assert "81-я" in russian
    assert 'href="http://127.0.0.1' in english
    assert "/anniversaries.ics" in english


async def test_headers_alternates_and_open_graph(repo: Repository, clock: ManualClock) -> None:
    async with open_site(repo, clock, public_url="https://society.example/") as site:
        aid = await site.post("Shared post", "What a chat preview shows.",
                              photo=Photo(png(), "image/png"))
        response = await site.client.get(f"/announcements/{aid}")
        html = await response.text()
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "script-src" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert '<link rel="alternate" type="application/rss+xml"' in html
    assert 'href="https://society.example/feed.atom"' in html
    assert '<meta property="og:title" content="Shared post">' in html
    assert f'<meta property="og:url" content="https://society.example/announcements/{aid}">' in html
    assert f'content="https://society.example/announcements/{aid}/photo"' in html
    assert '<meta property="og:type" content="article">' in html


async def test_hostile_text_is_escaped(repo: Repository, clock: ManualClock) -> None:
    title = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    body = "\u202eRTL override <b>not bold</b> & done"
    styles = (TextStyle(Style.LINK, 0, 5, "javascript:alert(3)"),)
    async with open_site(repo, clock) as site:
        aid = await site.post(title, body, tags=('"><svg onload=x>',), styles=styles)
        page = await (await site.client.get(f"/announcements/{aid}")).text()
        listing = await (await site.client.get("/")).text()
    for html in (page, listing):
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<svg" not in html
    assert "javascript:" not in page
    assert "&lt;b&gt;not bold&lt;/b&gt; &amp; done" in page


def test_the_search_cap_is_the_stores() -> None:
    from bot.site.service import SEARCH_TOTAL_CAP
    from storage.search import TOTAL_CAP

    assert SEARCH_TOTAL_CAP == TOTAL_CAP


def test_language_choice_rules() -> None:
    from adapters.http.site.text import choose_language

    assert choose_language("ko", "ru", "en") == "ko"
    assert choose_language("ko-KR", None, "en") == "ko"
    assert choose_language(None, "fr, ru-RU;q=0.9, en;q=0.8", "ko") == "ru"
    assert choose_language(None, "en;q=0.1, ko;q=0.5", "ru") == "ko"
    assert choose_language(None, "ko;q=bad, en;q=0", "ru") == "ru"
    assert choose_language("xx", "", "ru") == "ru"
