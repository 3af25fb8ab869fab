"""A society's website on loopback: pages that change between polls, faults on demand."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Page:
    """What one path answers: a body with an ETag (304 when the client has it)."""

    body: bytes
    content_type: str = "application/rss+xml; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: bool = True
    delay: float = 0.0


class Site:
    """An aiohttp server on 127.0.0.1 serving `pages` (or a custom handler per path)."""

    def __init__(self) -> None:
        self.pages: dict[str, Page] = {}
        self.handlers: dict[str, Handler] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._runner: web.AppRunner | None = None
        self.port = 0

    def url(self, path: str) -> str:
        """The absolute URL of `path`."""
        return f"http://127.0.0.1:{self.port}{path}"

    def hits(self, path: str) -> int:
        """How many requests `path` got."""
        return sum(1 for p, _ in self.requests if p == path)

    async def start(self) -> Site:
        """Listen on a free loopback port."""
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        return self

    async def close(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append((request.path, dict(request.headers)))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            custom = self.handlers.get(request.path)
            if custom is not None:
                return await custom(request)
            page = self.pages.get(request.path)
            if page is None:
                return web.Response(status=404, text="not found")
            if page.delay:
                await asyncio.sleep(page.delay)
            tag = f'"{abs(hash(page.body)):x}"'
            if page.etag and page.status == 200 and request.headers.get("If-None-Match") == tag:
                return web.Response(status=304, headers={"ETag": tag, **page.headers})
            headers = dict(page.headers)
            if page.etag and page.status == 200:
                headers["ETag"] = tag
            return _response(page, headers)
        finally:
            self.in_flight -= 1


def _response(page: Page, headers: dict[str, str]) -> web.Response:
    response = web.Response(status=page.status, body=page.body, headers=headers)
    response.headers["Content-Type"] = page.content_type
    return response


def rss(
    *items: tuple[str, str, str], title: str = "Society news", encoding: str = "utf-8"
) -> bytes:
    """An RSS 2.0 document: items are (guid, title, description HTML), newest first."""
    parts = [
        f'<?xml version="1.0" encoding="{encoding}"?>',
        '<rss version="2.0"><channel>',
        f"<title>{title}</title><link>https://society.example/</link>",
        "<description>News</description>",
    ]
    for guid, item_title, description in items:
        parts.append(
            f"<item><guid>{guid}</guid><title>{item_title}</title>"
            f"<link>https://society.example/news/{guid}</link>"
            f"<description><![CDATA[{description}]]></description></item>"
        )
    parts.append("</channel></rss>")
    return "\n".join(parts).encode(encoding)
