"""A real website over a real database: the store, the services, SiteRoutes on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import time
from zoneinfo import ZoneInfo

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.http.site import SiteConfig, SiteRoutes
from bot.commands.parsing import PostText
from bot.formatting import Photo, Styles
from bot.ports import ManualClock
from bot.schedule.occurrences import LeapPolicy
from bot.services.anniversaries import AnniversaryService
from bot.services.announcements import AnnouncementService
from bot.site.service import SiteService
from bot.site.views import ViewCounter
from storage.repository import Repository
from storage.site import SiteStore

ZONE = ZoneInfo("Europe/Moscow")


@dataclass
class Site:
    """What a website test drives: the services that write, and a client for the site."""

    announcements: AnnouncementService
    anniversaries: AnniversaryService
    service: SiteService
    views: ViewCounter
    routes: SiteRoutes
    client: TestClient[web.Request, web.Application]
    store: SiteStore
    clock: ManualClock

    async def post(
        self,
        title: str,
        body: str,
        *,
        tags: tuple[str, ...] = (),
        styles: Styles = (),
        draft: bool = False,
        photo: Photo | None = None,
    ) -> int:
        """Publish (or save as a draft) an announcement; its id."""
        text = PostText(title=title, body=body, tags=tags, body_styles=styles)
        result = await self.announcements.post(text, actor="cli:test", draft=draft, photo=photo)
        self.routes.forget()
        return result.announcement.id

    def url(self, path: str) -> str:
        """The absolute address of a site path on the test server."""
        return str(self.client.make_url(path))


@asynccontextmanager
async def open_site(
    repo: Repository,
    clock: ManualClock,
    *,
    policy: LeapPolicy = LeapPolicy.FEB_28,
    language: str = "en",
    public_url: str | None = None,
) -> AsyncIterator[Site]:
    """The site on a loopback port; stopped (views flushed) on exit."""
    announcements = AnnouncementService(repo.announcements, clock)
    anniversaries = AnniversaryService(
        repo.anniversaries, clock, zone=ZONE, at=time(9, 0), reminder_days=(), policy=policy
    )
    store = SiteStore(repo.sessions)
    service = SiteService(
        repo.announcements, store, anniversaries, clock, zone=ZONE, language=language
    )
    views = ViewCounter(store, clock, ZONE)
    config = SiteConfig(language=language, zone=ZONE, public_url=public_url, name="Society")
    routes = SiteRoutes(service, views, config)
    app = web.Application()
    routes.register(app)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    try:
        yield Site(announcements, anniversaries, service, views, routes, client, store, clock)
    finally:
        await client.close()
