"""Web views: once per visitor, post and local day; crawlers not counted; no address kept."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, text

from bot.ports import ManualClock
from bot.site.views import ViewCounter, is_crawler
from storage.models import SiteViewRow
from storage.repository import Repository
from tests.site.world import Site, open_site

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"


async def _visit(site: Site, aid: int, agent: str, address: str = "203.0.113.7") -> int:
    # The test server sees loopback, so the address comes as a local reverse proxy sends it.
    response = await site.client.get(
        f"/announcements/{aid}", headers={"User-Agent": agent, "X-Forwarded-For": address}
    )
    await response.read()
    return response.status


async def test_a_visitor_counts_once_a_day(repo: Repository, clock: ManualClock) -> None:
    async with open_site(repo, clock) as site:
        aid = await site.post("Post", "Body.")
        for _ in range(3):
            await _visit(site, aid, FIREFOX)
        await _visit(site, aid, PHONE)
        await _visit(site, aid, FIREFOX, address="198.51.100.9")
        await site.views.flush()
        assert (await site.store.web_views([aid]))[aid] == 3
        clock.advance(timedelta(days=1).total_seconds())
        await _visit(site, aid, FIREFOX)
        await site.views.flush()
        site.routes.forget()
        page = await (await site.client.get(f"/announcements/{aid}")).text()
    assert (await site.store.web_views([aid]))[aid] == 4
    assert "4 on the website" in page
    assert await site.store.view_totals() == (0, 4)


async def test_crawlers_and_previews_are_not_counted(repo: Repository, clock: ManualClock) -> None:
    agents = [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "TelegramBot (like TwitterBot)",
        "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
        "facebookexternalhit/1.1",
        "curl/8.5.0",
        "",
    ]
    async with open_site(repo, clock) as site:
        aid = await site.post("Post", "Body.")
        for agent in agents:
            assert await _visit(site, aid, agent) == 200
        await site.views.flush()
        assert await site.store.web_views([aid]) == {}
    assert all(is_crawler(agent) for agent in agents)
    assert not is_crawler(FIREFOX)
    assert not is_crawler(PHONE)


async def test_no_address_is_stored_and_the_secret_rotates(
    repo: Repository, clock: ManualClock
) -> None:
    async with open_site(repo, clock) as site:
        aid = await site.post("Post", "Body.")
        await _visit(site, aid, FIREFOX, address="203.0.113.77")
        await site.views.flush()
        async with repo.sessions() as session:
            rows = (await session.execute(select(SiteViewRow))).scalars().all()
            dump = " ".join(
                str(v) for row in await session.execute(text("SELECT * FROM site_views"))
                for v in row
            )
    assert len(rows) == 1
    assert "203.0.113.77" not in dump
    assert "Firefox" not in dump
    counter = ViewCounter(site.store, clock, site.service.zone)
    today = counter.visitor("203.0.113.77", FIREFOX)
    assert counter.visitor("203.0.113.77", FIREFOX) == today
    other_process = ViewCounter(site.store, clock, site.service.zone)
    assert other_process.visitor("203.0.113.77", FIREFOX) != today
    clock.advance(timedelta(days=1).total_seconds())
    assert counter.visitor("203.0.113.77", FIREFOX) != today


async def test_views_of_hidden_posts_are_not_counted(repo: Repository, clock: ManualClock) -> None:
    async with open_site(repo, clock) as site:
        draft = await site.post("Draft", "Body.", draft=True)
        assert await _visit(site, draft, FIREFOX) == 404
        assert await _visit(site, 424242, FIREFOX) == 404
        await site.views.flush()
        assert await site.store.view_totals() == (0, 0)
