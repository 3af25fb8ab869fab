"""Feeds parsed back with feedparser (and JSON Feed with json), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import feedparser
import pytest

from bot.formatting import Photo, Style, TextStyle
from bot.ports import ManualClock
from storage.repository import Repository
from tests.images import png
from tests.site.world import Site, open_site

XML_FEEDS = ("feed.rss", "feed.atom")


async def _seed(site: Site) -> dict[str, int]:
    ids = {}
    ids["photo"] = await site.post(
        "With a photo", "Bold words here.", tags=("Culture",),
        styles=(TextStyle(Style.BOLD, 0, 4),), photo=Photo(png(), "image/png"),
    )
    site.clock.advance(60)
    ids["plain"] = await site.post("Plain <post>", "Just & text.", tags=("Culture", "History"))
    site.clock.advance(60)
    ids["other"] = await site.post("Other", "Untagged.")
    await site.post("Draft", "Never in a feed.", draft=True)
    return ids


async def _get(site: Site, path: str, **headers: str) -> tuple[int, bytes, Any]:
    response = await site.client.get(path, headers=headers)
    return response.status, await response.read(), response.headers


async def test_feeds_carry_the_required_elements(repo: Repository, clock: ManualClock) -> None:
    async with open_site(repo, clock, public_url="https://society.example") as site:
        ids = await _seed(site)
        for kind in XML_FEEDS:
            status, body, headers = await _get(site, f"/{kind}")
            assert status == 200
            parsed = feedparser.parse(body)
            assert not parsed.bozo, parsed.get("bozo_exception")
            assert parsed.feed.title == "Society"
            assert parsed.feed.link == "https://society.example/"
            entries = parsed.entries
            assert [e.title for e in entries] == ["Other", "Plain <post>", "With a photo"]
            assert len({e.id for e in entries}) == 3
            assert entries[0].id == f"https://society.example/announcements/{ids['other']}"
            for entry in entries:
                assert entry.published_parsed is not None
                assert entry.updated_parsed is not None
            photo = entries[2]
            assert "<strong>Bold</strong>" in photo.content[0].value
            enclosure = next(link for link in photo.links if link.rel == "enclosure")
            assert enclosure.href.endswith(f"/announcements/{ids['photo']}/photo")
            assert enclosure.type == "image/png"
            assert int(enclosure.length) == len(png())
            assert {t.term for t in entries[1].tags} == {"Culture", "History"}
            assert "&lt;post&gt;" not in entries[1].title
            assert "Never in a feed" not in body.decode()
            assert parsedate_to_datetime(headers["Last-Modified"]).tzinfo is not None
        status, body, headers = await _get(site, "/feed.json")
    document = json.loads(body)
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert document["feed_url"] == "https://society.example/feed.json"
    items = document["items"]
    assert [i["title"] for i in items] == ["Other", "Plain <post>", "With a photo"]
    assert len({i["id"] for i in items}) == 3
    for item in items:
        datetime.fromisoformat(item["date_published"])
        datetime.fromisoformat(item["date_modified"])
    attachment = items[2]["attachments"][0]
    assert attachment["mime_type"] == "image/png"
    assert attachment["size_in_bytes"] == len(png())
    assert items[2]["image"] == attachment["url"]
    assert headers["Content-Type"].startswith("application/feed+json")


async def test_tag_feeds_hold_the_tag_only(repo: Repository, clock: ManualClock) -> None:
    async with open_site(repo, clock) as site:
        await _seed(site)
        parsed = feedparser.parse((await _get(site, "/tags/history/feed.atom"))[1])
        document = json.loads((await _get(site, "/tags/CULTURE/feed.json"))[1])
        unknown = (await _get(site, "/tags/nope/feed.rss"))[0]
    assert [e.title for e in parsed.entries] == ["Plain <post>"]
    assert parsed.feed.title == "Society · #History"
    assert [i["title"] for i in document["items"]] == ["Plain <post>", "With a photo"]
    assert unknown == 404


async def test_edit_updates_and_retraction_leaves(repo: Repository, clock: ManualClock) -> None:
    from bot.commands.parsing import PostText

    async with open_site(repo, clock) as site:
        ids = await _seed(site)
        before = feedparser.parse((await _get(site, "/feed.atom"))[1])
        clock.set(datetime(2026, 9, 1, 10, 0, tzinfo=UTC))
        await site.announcements.edit(
            ids["plain"], PostText("Plain, edited", "New text.", ()), actor="cli:t", keep_tags=True
        )
        site.routes.forget()
        edited = feedparser.parse((await _get(site, "/feed.atom"))[1])
        clock.set(datetime(2026, 9, 2, 10, 0, tzinfo=UTC))
        await site.announcements.retract(ids["other"], actor="cli:t")
        site.routes.forget()
        _status, body, headers = await _get(site, "/feed.rss")
        retracted = feedparser.parse(body)
        json_items = json.loads((await _get(site, "/feed.json"))[1])["items"]
    old = {e.id: e for e in before.entries}
    new = {e.id: e for e in edited.entries}
    plain_id = next(i for i, e in new.items() if e.title == "Plain, edited")
    assert new[plain_id].updated_parsed > old[plain_id].updated_parsed
    assert new[plain_id].published_parsed == old[plain_id].published_parsed
    assert edited.feed.updated_parsed[:3] == (2026, 9, 1)
    assert [e.title for e in retracted.entries] == ["Plain, edited", "With a photo"]
    assert "Other" not in [i["title"] for i in json_items]
    # The retraction is the feed's latest change, though no entry shows it.
    assert parsedate_to_datetime(headers["Last-Modified"]) == datetime(2026, 9, 2, 10, tzinfo=UTC)


@pytest.mark.parametrize("path", ["/feed.rss", "/feed.atom", "/feed.json", "/", "/tags/culture"])
async def test_conditional_get_answers_304(
    repo: Repository, clock: ManualClock, path: str
) -> None:
    async with open_site(repo, clock) as site:
        await _seed(site)
        status, _body, headers = await _get(site, path)
        etag, modified = headers["ETag"], headers.get("Last-Modified")
        by_tag = await _get(site, path, **{"If-None-Match": etag})
        stale = await _get(site, path, **{"If-None-Match": '"something-else"'})
        by_date = await _get(site, path, **{"If-Modified-Since": modified}) if modified else None
        clock.advance(60)
        await site.post("Newest", "Changes every feed.", tags=("Culture",))
        changed = await _get(site, path, **{"If-None-Match": etag})
    assert status == 200
    assert by_tag[0] == 304
    assert by_tag[1] == b""
    assert by_tag[2]["ETag"] == etag
    assert stale[0] == 200
    if by_date is not None:
        assert by_date[0] == 304
    assert changed[0] == 200
    assert "Newest" in changed[1].decode()


async def test_newest_is_the_first_page_without_a_count(
    repo: Repository, clock: ManualClock
) -> None:
    async with open_site(repo, clock) as site:
        await _seed(site)
        newest = await repo.announcements.newest(limit=2)
        page = await repo.announcements.latest(page=1, size=2)
        assert newest == list(page.items)
        assert [a.title for a in newest] == ["Other", "Plain <post>"]
        assert len(await repo.announcements.newest(limit=30)) == 3  # the draft is not one
