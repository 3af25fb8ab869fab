"""Rendered responses: a short-lived cache, conditional GET (ETag, Last-Modified) and headers."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime

from aiohttp import web

from bot.services.cache import TTLCache

# No scripts, no frames, nothing from another origin: the pages need only their own CSS and photos.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
# Another process's change shows within this many seconds; this process's at once.
CACHE_SECONDS = 2.0
HTML = "text/html; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Rendered:
    """A finished response body with what conditional GET needs."""

    body: bytes
    content_type: str = HTML
    status: int = 200
    last_modified: datetime | None = None
    headers: dict[str, str] = field(default_factory=dict)
    etag: str = ""

    @classmethod
    def of(
        cls,
        text: str | bytes,
        content_type: str = HTML,
        *,
        status: int = 200,
        last_modified: datetime | None = None,
        headers: dict[str, str] | None = None,
    ) -> Rendered:
        """A response; its strong ETag is a hash of the body."""
        body = text.encode() if isinstance(text, str) else text
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        return cls(body, content_type, status, last_modified, dict(headers or {}), etag)


class ResponseCache:
    """Rendered responses by key, trusted for CACHE_SECONDS; one render per key at once."""

    def __init__(self, ttl: float = CACHE_SECONDS) -> None:
        self._cache: TTLCache[tuple[str, ...], Rendered] = TTLCache(ttl=ttl, size=4096)

    async def fetch(
        self, key: tuple[str, ...], render: Callable[[], Awaitable[Rendered]]
    ) -> Rendered:
        """The cached response, or a fresh one (kept unless it is a server error)."""
        return await self._cache.fetch(key, render, keep=lambda r: r.status < 500)

    def clear(self) -> None:
        """Forget everything (after a change in this process)."""
        self._cache.clear()


def respond(
    request: web.Request, rendered: Rendered, *, cache_control: str = "no-cache"
) -> web.Response:
    """The response, or 304 Not Modified when the client's copy is current."""
    headers = {**SECURITY_HEADERS, **rendered.headers, "Cache-Control": cache_control}
    if rendered.status == 200:
        headers["ETag"] = rendered.etag
        if rendered.last_modified is not None:
            headers["Last-Modified"] = _http_date(rendered.last_modified)
        if not_modified(request, rendered):
            return web.Response(status=304, headers=headers)
    return web.Response(
        body=rendered.body if request.method != "HEAD" else None,
        status=rendered.status,
        content_type=rendered.content_type.split(";")[0],
        charset="utf-8" if "charset" in rendered.content_type else None,
        headers=headers,
    )


def not_modified(request: web.Request, rendered: Rendered) -> bool:
    """Whether the client's If-None-Match (or, without it, If-Modified-Since) is current."""
    match = request.headers.get("If-None-Match")
    if match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in match.split(",")}
        return "*" in tags or rendered.etag in tags
    since = request.if_modified_since
    if since is None or rendered.last_modified is None:
        return False
    return rendered.last_modified.replace(microsecond=0) <= since


def _http_date(when: datetime) -> str:
    return format_datetime(when.astimezone(UTC), usegmt=True)
