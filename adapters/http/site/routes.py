"""The website as one unit of routes: pages, feeds, calendars, photos, the stylesheet."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from adapters.http.site import text
from adapters.http.site.calendar import calendar_ics
from adapters.http.site.feeds import FEED_KINDS, render_feed
from adapters.http.site.pages import Pages, pager_links
from adapters.http.site.responses import Rendered, ResponseCache, respond
from adapters.http.site.visit import BadPage, SiteConfig, Visit, page_number
from bot.site.service import Gone, Hidden, SiteService
from bot.site.views import ViewCounter

log = logging.getLogger("herald.site")
STATIC = Path(__file__).resolve().parent / "static"
MAX_QUERY = 200
CSS = "text/css; charset=utf-8"

Build = Callable[[Visit], Awaitable[Rendered]]


class SiteRoutes:
    """Registers the public website on an aiohttp application; all reads, no writes but views."""

    def __init__(self, service: SiteService, views: ViewCounter, config: SiteConfig) -> None:
        self._service = service
        self._views = views
        self._config = config
        self._pages = Pages(config)
        self._cache = ResponseCache()
        self._static_files = {
            "/static/site.css": Rendered.of((STATIC / "site.css").read_bytes(), CSS),
            "/static/icon.svg": Rendered.of((STATIC / "icon.svg").read_bytes(), "image/svg+xml"),
        }

    def register(self, app: web.Application) -> None:
        """Add the site's routes, and start and stop the view counter with the app."""
        get = app.router.add_get
        get("/", self._latest)
        get("/announcements/{id}", self._announcement)
        get("/announcements/{id}/photo", self._photo)
        get("/tags", self._tags)
        get("/tags/{tag}", self._tag)
        get("/search", self._search)
        get("/anniversaries", self._anniversaries)
        get("/anniversaries.ics", self._calendar)
        get("/tags/{tag}/anniversaries.ics", self._calendar)
        for name in FEED_KINDS:
            get(f"/{name}", self._feed)
            get(f"/tags/{{tag}}/{name}", self._feed)
        get("/static/site.css", self._static)
        get("/static/icon.svg", self._static)
        get("/favicon.ico", self._static)
        app.on_startup.append(self._start)
        app.on_cleanup.append(self._stop)

    def forget(self) -> None:
        """Drop rendered pages (call after a change in this process)."""
        self._cache.clear()

    async def _start(self, _app: web.Application) -> None:
        self._views.start()

    async def _stop(self, _app: web.Application) -> None:
        await self._views.stop()

    async def _serve(
        self, request: web.Request, build: Build, *, negotiate: bool = True
    ) -> web.Response:
        visit = Visit.of(request, self._config, negotiate=negotiate)
        key = (request.path, request.query_string, visit.lang, visit.base)
        rendered = await self._cache.fetch(key, lambda: self._guarded(visit, build))
        return respond(request, rendered)

    async def _guarded(self, visit: Visit, build: Build) -> Rendered:
        labels = text.labels(visit.lang)
        try:
            return await build(visit)
        except BadPage:
            return self._pages.error(visit, 400, labels["bad_page"])
        except Hidden:
            return self._pages.error(visit, 404, labels["not_found"])
        except Gone:
            return self._pages.error(visit, 410, labels["gone"])

    async def _latest(self, request: web.Request) -> web.Response:
        page = _page_or_none(request)

        async def build(visit: Visit) -> Rendered:
            found = await self._service.latest(_checked(page))
            if page and page > found.pages:
                raise Hidden(page)
            labels = text.labels(visit.lang)
            return self._pages.listing(
                visit, found, heading=labels["latest"], empty=labels["nothing"], path="/"
            )

        return await self._serve(request, build)

    async def _announcement(self, request: web.Request) -> web.Response:
        raw = request.match_info["id"]
        number = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else None

        async def build(visit: Visit) -> Rendered:
            if number is None:
                raise Hidden(raw)
            item, web_views = await self._service.announcement(number)
            return self._pages.announcement(visit, item, web_views)

        response = await self._serve(request, build)
        if number is not None and response.status in (200, 304) and request.method == "GET":
            # Counted only when the reader sees the page: not drafts, gone or missing posts.
            agent = request.headers.get("User-Agent", "")
            self._views.count(number, _visitor_address(request), agent)
        return response

    async def _photo(self, request: web.Request) -> web.Response:
        raw = request.match_info["id"]
        photo = None
        if raw.isascii() and raw.isdigit() and len(raw) < 19:
            photo = await self._service.photo(int(raw))
        if photo is None:
            visit = Visit.of(request, self._config)
            labels = text.labels(visit.lang)
            return respond(request, self._pages.error(visit, 404, labels["not_found"]))
        rendered = Rendered.of(photo.data, photo.mime_type)
        return respond(request, rendered, cache_control="public, max-age=3600")

    async def _tags(self, request: web.Request) -> web.Response:
        async def build(visit: Visit) -> Rendered:
            return self._pages.tags(visit, await self._service.tags())

        return await self._serve(request, build)

    async def _tag(self, request: web.Request) -> web.Response:
        name = request.match_info["tag"]
        page = _page_or_none(request)

        async def build(visit: Visit) -> Rendered:
            found = await self._service.tag(name, _checked(page))
            if found is None or (page and page > found[1].pages):
                raise Hidden(name)
            tag, items = found
            labels = text.labels(visit.lang)
            prefix = request.path
            return self._pages.listing(
                visit, items, heading=text.tagged(visit.lang, tag.name, tag.count),
                empty=labels["nothing"], path=prefix,
                feeds=self._pages.feeds(visit, prefix, "#" + tag.name),
                calendar=visit.absolute(prefix + "/anniversaries.ics"),
            )

        return await self._serve(request, build)

    async def _search(self, request: web.Request) -> web.Response:
        words = " ".join(request.query.get("q", "").split())[:MAX_QUERY]
        page = _page_or_none(request)

        async def build(visit: Visit) -> Rendered:
            labels = text.labels(visit.lang)
            found = await self._service.search(words, _checked(page)) if words else None
            heading = self._pages.search_heading(visit, found.total) if found else ""
            return self._pages.render(
                visit, "search.html", page_title=labels["search"], query=words, heading=heading,
                items=[self._pages.entry(visit, i) for i in found.items] if found else [],
                pager=None if found is None else pager_links(visit, found, "/search", {"q": words}),
            )

        return await self._serve(request, build)

    async def _anniversaries(self, request: web.Request) -> web.Response:
        async def build(visit: Visit) -> Rendered:
            return self._pages.anniversaries(visit, await self._service.upcoming())

        return await self._serve(request, build)

    async def _feed(self, request: web.Request) -> web.Response:
        name = request.match_info.get("tag")
        kind = request.path.rsplit("/", 1)[1]

        async def build(visit: Visit) -> Rendered:
            feed = await self._service.feed(name)
            if feed is None:
                raise Hidden(name)
            return render_feed(kind, feed, visit, self._config)

        return await self._serve(request, build, negotiate=False)

    async def _calendar(self, request: web.Request) -> web.Response:
        name = request.match_info.get("tag")

        async def build(visit: Visit) -> Rendered:
            dated = await self._service.dated(name)
            if dated is None:
                raise Hidden(name)
            policy, now = self._service.leap_policy, self._service.now()
            return calendar_ics(dated, visit, self._config, policy, now)

        return await self._serve(request, build, negotiate=False)

    async def _static(self, request: web.Request) -> web.Response:
        rendered = self._static_files.get(request.path, self._static_files["/static/icon.svg"])
        return respond(request, rendered, cache_control="public, max-age=3600")


def _page_or_none(request: web.Request) -> int | None:
    try:
        return page_number(request)
    except BadPage:
        return None


def _checked(page: int | None) -> int:
    if page is None:
        raise BadPage("")
    return page


def _visitor_address(request: web.Request) -> str:
    """The reader's address; behind a reverse proxy on this host, the one it forwards."""
    peer = request.remote or ""
    if peer in ("127.0.0.1", "::1"):
        forwarded = request.headers.get("X-Forwarded-For", "").split(",")[0].strip()
        return forwarded or request.headers.get("X-Real-IP", peer)
    return peer
