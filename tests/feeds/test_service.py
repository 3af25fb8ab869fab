"""The feed service end to end over a real store and a loopback site: entries in, announcements
out, once; edits follow; failures back off and admins hear of them."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web

from adapters.feeds.fetch import HttpFetcher
from bot.domain import Announcement, Status
from bot.feeds.service import MAX_NEW_PER_POLL, SourceError, UnknownSource
from bot.feeds.sources import SourceKind, SourceMode
from bot.formatting import Photo
from bot.photos import PhotoError, checked_photo
from bot.ports import ManualClock
from bot.tags import TagLimits
from storage.repository import Repository
from tests.conftest import SAMPLES
from tests.delivery.support import add_chats, rows
from tests.feeds.site import Page, Site, rss
from tests.feeds.support import Notices, feed_service
from tests.images import png, png_header

ONE = ("urn:1", "Spring meeting", "<p>Room 101 at 18:00.</p>")
TWO = ("urn:2", "Summer picnic", "<p>In the park.</p>")
THREE = ("urn:3", "Autumn lecture", "<p>On history.</p>")


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the store contract runs on PostgreSQL too (test_store.py, test_replicas.py)."""
    return f"sqlite+aiosqlite:///{tmp_path / 'herald.db'}"


@pytest.fixture
async def chats(repo: Repository, clock: ManualClock) -> list[int]:
    """Three chats subscribed to everything."""
    return await add_chats(repo.sessions, clock.now(), ["100", "101", "102"])


async def _announcement(repo: Repository, announcement_id: int) -> Announcement:
    found = await repo.announcements.get(announcement_id)
    assert found is not None
    return found


async def _published(repo: Repository) -> list[tuple[str, str]]:
    page = await repo.announcements.latest(page=1, size=50)
    return [(a.title, a.body) for a in page.items]


async def test_a_new_source_shows_nothing_old_then_each_new_entry_once(
    repo: Repository, clock: ManualClock, site: Site, fetcher: HttpFetcher, chats: list[int]
) -> None:
    site.pages["/rss"] = Page(rss(TWO, ONE))
    feeds = feed_service(repo, fetcher, clock)
    added = await feeds.add(site.url("/rss"), actor="cli:admin", tags=["Society"])
    assert (added.source.kind, added.entries, added.created) == (SourceKind.FEED, 2, ())
    assert added.source.title == "Society news"
    assert added.source.next_poll == clock.now() + timedelta(minutes=15)
    assert await _published(repo) == []

    clock.advance(900)
    unchanged = await feeds.poll(added.source.id)
    assert unchanged.status == "not_modified"
    assert site.requests[-1][1]["If-None-Match"]

    site.pages["/rss"] = Page(rss(THREE, TWO, ONE))
    clock.advance(900)
    report = await feeds.poll(added.source.id)
    assert report.status == "changed"
    assert len(report.created) == 1
    item = await repo.announcements.get(report.created[0])
    assert item is not None
    assert (item.title, item.body, item.status) == (
        "Autumn lecture",
        "On history.",
        Status.PUBLISHED,
    )
    assert item.tags == ("Society",)
    assert item.source_url == "https://society.example/news/urn:3"
    assert item.created_by == f"feed:{added.source.id}"
    sends = [r for r in await rows(repo.sessions) if r["action"] == "send"]
    assert len(sends) == len(chats)

    # The same document again (even without validators, after a restart): nothing new.
    site.pages["/rss"] = Page(rss(THREE, TWO, ONE), etag=False)
    again = feed_service(repo, fetcher, clock)
    assert (await again.poll(added.source.id)).created == []
    assert len(await _published(repo)) == 1


async def test_backfill_publishes_the_newest_entries_oldest_first(
    repo: Repository, clock: ManualClock, site: Site, fetcher: HttpFetcher
) -> None:
    site.pages["/rss"] = Page(rss(THREE, TWO, ONE))
    added = await feed_service(repo, fetcher, clock).add(
        site.url("/rss"), actor="cli:admin", backfill=2
    )
    assert len(added.created) == 2
    titles = [(await _announcement(repo, i)).title for i in sorted(added.created)]
    assert titles == ["Summer picnic", "Autumn lecture"]


async def test_an_edited_entry_edits_its_announcement_and_an_older_date_does_not(
    repo: Repository, clock: ManualClock, site: Site, fetcher: HttpFetcher, chats: list[int]
) -> None:
    site.pages["/rss"] = Page(rss(ONE))
    feeds = feed_service(repo, fetcher, clock)
    source = (await feeds.add(site.url("/rss"), actor="cli:admin")).source
    site.pages["/rss"] = Page(rss(TWO, ONE))
    created = (await feeds.poll(source.id)).created
    noon = ("urn:2", "Summer picnic", "<p>In the park, at noon.</p>")
    site.pages["/rss"] = Page(rss(noon, ONE))
    report = await feeds.poll(source.id)
    assert (report.created, report.edited) == ([], created)
    item = await repo.announcements.get(created[0])
    assert item is not None
    assert (item.body, item.revision) == ("In the park, at noon.", 2)
    # Nothing changed since: no second edit.
    site.pages["/rss"] = Page(
        rss(("urn:2", "Summer picnic", "<p>In the park, at noon.</p>"), ONE), etag=False
    )
    assert (await feeds.poll(source.id)).edited == []


async def test_a_304_and_cache_control_decide_the_next_poll(
    repo: Repository, clock: ManualClock, site: Site, fetcher: HttpFetcher
) -> None:
    site.pages["/rss"] = Page(rss(ONE), headers={"Cache-Control": "public, max-age=3600"})
    feeds = feed_service(repo, fetcher, clock)
    source = (await feeds.add(site.url("/rss"), actor="cli:admin")).source
    report = await feeds.poll(source.id)
    assert report.status == "not_modified"
    assert report.next_poll == clock.now() + timedelta(hours=1)
    kept = await feeds.get(source.id)
    assert kept.last_success == clock.now()


async def test_failures_back_off_tell_admins_once_and_again_on_recovery(
    repo: Repository, clock: ManualClock, site: Site, fetcher: HttpFetcher
) -> None:
    site.pages["/rss"] = Page(rss(ONE))
    notices = Notices()
    feeds = feed_service(repo, fetcher, clock, notices)
    source = (await feeds.add(site.url("/rss"), actor="cli:admin")).source
    site.pages["/rss"] = Page(b"oops", status=500, content_type="text/plain")
    waits = []
    for _ in range(4):
        report = await feeds.poll(source.id)
        assert (report.status, report.error) == ("failed", "HTTP 500")
        assert report.next_poll is not None
        waits.append(report.next_poll - clock.now())
        clock.set(report.next_poll)
    assert waits == [timedelta(minutes=m) for m in (30, 60, 120, 240)]
    assert notices.events == [("failing", source.id, 3)]
    assert notices.errors == ["HTTP 500"]
    failing = await feeds.get(source.id)
    assert (failing.failures, failing.last_error) == (4, "HTTP 500")

    site.pages["/rss"] = Page(rss(ONE))
    assert (await feeds.poll(source.id)).status == "not_modified"
    assert notices.events[-1] == ("recovered", source.id, 4)
    assert (await feeds.get(source.id)).failures == 0


async def test_retry_after_is_honoured(
    repo: Repository, clock: ManualClock, site: Site, fetcher: HttpFetcher
) -> None:
    site.pages["/rss"] = Page(rss(ONE))
    feeds = feed_service(repo, fetcher, clock)
    source = (await feeds.add(site.url("/rss"), actor="cli:admin")).source
    site.pages["/rss"] = Page(b"busy", status=503, headers={"Retry-After": "7200"})
    report = await feeds.poll(source.id)
    assert report.next_poll == clock.now() + timedelta(hours=2)


async def test_a_slow_site_and_a_redirect_loop_are_failures(
    repo: Repository, clock: ManualClock, site: Site, fetcher: HttpFetcher
) -> None:
    site.pages["/rss"] = Page(rss(ONE))
    feeds = feed_service(repo, fetcher, clock)
    source = (await feeds.add(site.url("/rss"), actor="cli:admin")).source
    site.pages["/rss"] = Page(rss(ONE), delay=0.8)
    assert (await feeds.poll(source.id)).error == "no answer within 0.5 s"

    async def loop(request: web.Request) -> web.StreamResponse:
        return web.Response(status=302, headers={"Location": "/rss"})

    site.handlers["/rss"] = loop
    assert (await feeds.poll(source.id)).error == "more than 5 redirects"
    assert (await feeds.get(source.id)).failures == 2


async def test_malformed_xml_is_a_failure_that_keeps_what_was_seen(
    repo: Repository, clock: ManualClock, site: Site, fetcher: HttpFetcher
) -> None:
    site.pages["/rss"] = Page(rss(ONE))
    feeds = feed_service(repo, fetcher, clock)
    source = (await feeds.add(site.url("/rss"), actor="cli:admin")).source
    site.pages["/rss"] = Page(rss(TWO, ONE)[:-40])
    report = await feeds.poll(source.id)
    assert report.status == "failed"
    assert report.error is not None
    assert report.error.startswith("unreadable: not a well-formed feed")
    assert await _published(repo) == []
    site.pages["/rss"] = Page(rss(TWO, ONE))
    assert len((await feeds.poll(source.id)).created) == 1


async def test_a_windows_1251_feed_reads_correctly(
    repo: Repository, clock: ManualClock, site: Site, fetcher: HttpFetcher
) -> None:
    old = ("ru:1", "Собрание общества", "<p>В пятницу.</p>")
    new = ("ru:2", "Лекция о дружбе", "<p>Зал №3, вход свободный.</p>")
    site.pages["/rss"] = Page(rss(old, encoding="windows-1251"), content_type="application/rss+xml")
    feeds = feed_service(repo, fetcher, clock)
    source = (await feeds.add(site.url("/rss"), actor="cli:admin")).source
    site.pages["/rss"] = Page(rss(new, old, encoding="windows-1251"), content_type="text/xml")
    assert "Лекция".encode("cp1251") in site.pages["/rss"].body
    report = await feeds.poll(source.id)
    item = await repo.announcements.get(report.created[0])
    assert item is not None
    assert (item.title, item.body) == ("Лекция о дружбе", "Зал №3, вход свободный.")


def _article(site: Site, slug: str, title: str) -> bytes:
    html = (SAMPLES / "society-post.html").read_text(encoding="utf-8")
    html = html.replace(
        "https://krfs.ucoz.net/news/congratulations_to_the_dprk_isg/2020-08-15-412",
        site.url(f"/news/{slug}"),
    )
    old_title = "Congratulations from the Korean-Russian Friendship Society to the DRPK ISG"
    return html.replace(old_title, title).encode("utf-8")


def _news(*slugs: str) -> bytes:
    items = "".join(f'<div class="eTitle"><a href="/news/{s}">{s}</a></div>' for s in slugs)
    return f"<!DOCTYPE html><html><body><h1>News</h1>{items}</body></html>".encode()


async def test_an_html_news_page_follows_each_new_item_to_its_page(
    repo: Repository, clock: ManualClock, site: Site, fetcher: HttpFetcher
) -> None:
    html = "text/html; charset=utf-8"
    site.pages["/news/"] = Page(_news("b-2", "a-1"), content_type=html)
    for slug, title in (("a-1", "First news"), ("b-2", "Second news"), ("c-3", "Third news")):
        site.pages[f"/news/{slug}"] = Page(_article(site, slug, title), content_type=html)
    feeds = feed_service(repo, fetcher, clock)
    added = await feeds.add(site.url("/news/"), actor="cli:admin")
    assert (added.source.kind, added.entries) == (SourceKind.HTML, 2)
    assert site.hits("/news/a-1") == 0

    site.pages["/news/"] = Page(_news("c-3", "b-2", "a-1"), content_type=html)
    report = await feeds.poll(added.source.id)
    assert len(report.created) == 1
    item = await repo.announcements.get(report.created[0])
    assert item is not None
    assert item.title == "Third news"
    assert item.category == "English"
    assert "Korea" in item.tags
    assert item.source_url == site.url("/news/c-3")
    # Edits on an item's page follow on the next changed poll (the first items are re-read).
    site.pages["/news/c-3"] = Page(
        _article(site, "c-3", "Third news, corrected"), content_type=html
    )
    site.pages["/news/"] = Page(_news("c-3", "b-2", "a-1") + b" ", content_type=html)
    assert (await feeds.poll(added.source.id)).edited == report.created
    corrected = await repo.announcements.get(report.created[0])
    assert corrected is not None
    assert corrected.title == "Third news, corrected"


async def test_a_draft_source_keeps_drafts_and_tells_admins(
    repo: Repository, clock: ManualClock, site: Site, fetcher: HttpFetcher, chats: list[int]
) -> None:
    site.pages["/rss"] = Page(rss(ONE))
    notices = Notices()
    feeds = feed_service(repo, fetcher, clock, notices)
    source = (await feeds.add(site.url("/rss"), actor="cli:admin", mode=SourceMode.DRAFT)).source
    site.pages["/rss"] = Page(rss(TWO, ONE))
    (created,) = (await feeds.poll(source.id)).created
    item = await repo.announcements.get(created)
    assert item is not None
    assert item.status is Status.DRAFT
    assert notices.events == [("draft", source.id, created)]
    assert await rows(repo.sessions) == []


async def test_a_flood_of_new_entries_is_capped_to_the_newest(
    repo: Repository, clock: ManualClock, site: Site, fetcher: HttpFetcher
) -> None:
    site.pages["/rss"] = Page(rss(ONE))
    feeds = feed_service(repo, fetcher, clock)
    source = (await feeds.add(site.url("/rss"), actor="cli:admin")).source
    many = [(f"new:{i}", f"Entry {i}", "<p>x</p>") for i in range(25, 0, -1)]
    site.pages["/rss"] = Page(rss(*many, ONE))
    report = await feeds.poll(source.id)
    assert len(report.created) == MAX_NEW_PER_POLL
    titles = {t for t, _ in await _published(repo)}
    assert titles == {f"Entry {i}" for i in range(16, 26)}
    assert (await feeds.poll(source.id)).created == []


async def test_paused_sources_wait_and_due_ones_are_polled(
    repo: Repository, clock: ManualClock, site: Site, fetcher: HttpFetcher
) -> None:
    site.pages["/a"] = Page(rss(ONE))
    site.pages["/b"] = Page(rss(TWO))
    feeds = feed_service(repo, fetcher, clock)
    a = (await feeds.add(site.url("/a"), actor="cli:admin")).source
    b = (await feeds.add(site.url("/b"), actor="cli:admin", every=timedelta(hours=1))).source
    assert await feeds.poll_due() == []
    clock.advance(15 * 60)
    assert [r.source_id for r in await feeds.poll_due()] == [a.id]
    await feeds.pause(a.id)
    clock.advance(60 * 60)
    assert [r.source_id for r in await feeds.poll_due()] == [b.id]
    assert (await feeds.poll(a.id)).status == "paused"
    await feeds.resume(a.id)
    assert [r.source_id for r in await feeds.poll_due()] == [a.id]
    await feeds.remove(a.id)
    with pytest.raises(UnknownSource):
        await feeds.poll(a.id)
    with pytest.raises(UnknownSource):
        await feeds.remove(a.id)


@pytest.mark.parametrize(
    ("path", "page", "reason"),
    [
        ("/missing", None, "cannot fetch http://127.0.0.1:{port}/missing: HTTP 404"),
        ("/text", Page(b"hello", content_type="text/plain"), "not a feed: not a well-formed"),
        ("/empty", Page(b"<html><body>no news</body></html>", content_type="text/html"),
         "an HTML page without news items, and not a feed"),
    ],
)  # fmt: skip
async def test_an_address_that_is_not_a_source_is_refused(
    repo: Repository, clock: ManualClock, site: Site, fetcher: HttpFetcher,
    path: str, page: Page | None, reason: str,
) -> None:  # fmt: skip
    if page is not None:
        site.pages[path] = page
    with pytest.raises(SourceError) as refused:
        await feed_service(repo, fetcher, clock).add(site.url(path), actor="cli:admin")
    assert str(refused.value).startswith(reason.format(port=site.port))
    assert await repo.feeds.all() == []


async def test_only_web_addresses_are_sources(
    repo: Repository, clock: ManualClock, fetcher: HttpFetcher
) -> None:
    feeds = feed_service(repo, fetcher, clock)
    long_label = "http://" + "a" * 5000 + ".example/rss"  # idna refuses a label over 63
    too_long = "http://society.example/" + "x" * 3000
    for url in (
        "file:///etc/passwd", "ftp://example.org/feed", "society.example/rss", "",
        long_label, too_long, "http://society.example:port/rss",
    ):  # fmt: skip
        with pytest.raises(SourceError, match="not an http or https address"):
            await feeds.add(url, actor="cli:admin")


def _rss_with(items: list[tuple[str, str, list[str]]]) -> bytes:
    """RSS whose items carry categories: (guid, description HTML, categories)."""
    parts = ['<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>',
             "<title>Society news</title><link>https://society.example/</link>"]  # fmt: skip
    for guid, description, categories in items:
        cats = "".join(f"<category>{c}</category>" for c in categories)
        parts.append(
            f"<item><guid>{guid}</guid><title>Entry {guid}</title>{cats}"
            f"<description><![CDATA[{description}]]></description></item>"
        )
    return ("".join(parts) + "</channel></rss>").encode()


async def test_an_entrys_tags_are_held_to_the_cap_per_post_and_the_tag_rules(
    repo: Repository,
    clock: ManualClock,
    site: Site,
    fetcher: HttpFetcher,
) -> None:
    # A handler of its own on an enabled logger: tests that configure Herald's logging turn
    # propagation off and may disable loggers that existed before.
    warnings: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: warnings.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("bot.feeds.service")
    was = logger.disabled, logger.level
    logger.disabled = False
    logger.setLevel(logging.WARNING)
    logger.addHandler(handler)
    try:
        await _capped(repo, clock, site, fetcher)
    finally:
        logger.removeHandler(handler)
        logger.disabled, logger.level = was[0], was[1]
    assert any(w.endswith("left out: …, Music, Film, " + "x" * 40) for w in warnings), warnings


async def _capped(repo: Repository, clock: ManualClock, site: Site, fetcher: HttpFetcher) -> None:
    feeds = feed_service(repo, fetcher, clock)
    feeds.tag_limits = TagLimits(per_post=3)
    site.pages["/rss"] = Page(_rss_with([]))
    source = (await feeds.add(site.url("/rss"), actor="cli:admin", tags=["Society"])).source
    many = ["Korea", "korea", "…", "Culture", "Music", "Film", "x" * 80]
    site.pages["/rss"] = Page(_rss_with([("urn:t", "<p>Tags.</p>", many)]))
    (created,) = (await feeds.poll(source.id)).created
    # The source's tags first, then the entry's; repeats by key dropped; the first 3 kept.
    assert (await _announcement(repo, created)).tags == ("Society", "Korea", "Culture")


async def test_a_feed_image_gets_the_same_check_as_an_uploaded_photo(
    repo: Repository, clock: ManualClock, site: Site, fetcher: HttpFetcher
) -> None:
    images = {
        "/ok.png": png(40, 30),
        "/pixel.png": png(2, 2),  # a tracking pixel that did not declare its size
        "/wide.png": png_header(8000, 3000),  # width + height over 10,000
        "/strip.png": png_header(2100, 100),  # long side over 20 × the short
        "/big.png": png(40, 30, pad=11 * 1024 * 1024),  # over 10 MB
    }
    for path, data in images.items():
        site.pages[path] = Page(data, content_type="image/png")
    feeds = feed_service(repo, fetcher, clock)
    site.pages["/rss"] = Page(_rss_with([]))
    source = (await feeds.add(site.url("/rss"), actor="cli:admin")).source
    entries: list[tuple[str, str, list[str]]] = [
        (p, f'<p>Look.</p><img src="{site.url(p)}">', []) for p in images
    ]
    site.pages["/rss"] = Page(_rss_with(entries))
    report = await feeds.poll(source.id)
    kept: dict[str, bool] = {}
    for announcement_id in report.created:
        item = await _announcement(repo, announcement_id)
        kept[item.title.removeprefix("Entry ")] = item.has_photo
    assert kept == {"/ok.png": True, "/pixel.png": False, "/wide.png": False,
                    "/strip.png": False, "/big.png": False}  # fmt: skip
    # The uploaded-photo check says the same of each (the pixel aside: it is a real photo).
    for path, data in images.items():
        accepted = True
        try:
            checked_photo(Photo(data, file_name="x.png"))
        except PhotoError:
            accepted = False
        assert accepted == (path in ("/ok.png", "/pixel.png")), path
