"""HTTP GETs for the feed poller: conditional, bounded in size, time and redirects, one per host.

Redirects are followed by hand so that each hop is checked (http/https only, at most
`max_redirects`); the body is read in chunks and the connection dropped once it passes the
limit, so a 50 MB answer costs 5 MB, not 50. Requests to one host wait for each other.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import aiohttp

from bot.feeds.ports import Fetched, FetchError
from bot.ports import Clock, SystemClock

MAX_BODY = 5 * 1024 * 1024
MAX_REDIRECTS = 5
_CHUNK = 64 * 1024
_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-)?max-age\s*=\s*\"?(\d+)", re.IGNORECASE)
_NO_CACHE = re.compile(r"(?:^|,)\s*no-(?:cache|store)\b", re.IGNORECASE)
_REDIRECTS = {301, 302, 303, 307, 308}
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, "
    "text/xml;q=0.9, application/json;q=0.8, text/html;q=0.7, */*;q=0.1"
)


def user_agent(version: str, url: str | None) -> str:
    """The User-Agent naming Herald, its version and where to read about it."""
    return f"Herald/{version} (+{url or 'https://github.com/herald-bot/herald'})"


@dataclass(frozen=True, slots=True)
class FetchLimits:
    """How long and how much one fetch may take."""

    total: float = 30.0
    connect: float = 10.0
    read: float = 15.0
    max_body: int = MAX_BODY
    max_redirects: int = MAX_REDIRECTS


class HttpFetcher:
    """bot.feeds.ports.Fetcher over one aiohttp session (opened on first use)."""

    def __init__(
        self,
        agent: str,
        limits: FetchLimits | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._agent = agent
        self.limits = limits or FetchLimits()
        self._clock: Clock = clock or SystemClock()
        self._session: aiohttp.ClientSession | None = None
        self._hosts: dict[str, asyncio.Lock] = {}

    async def close(self) -> None:
        """Close the connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            limits = self.limits
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(
                    total=limits.total, connect=limits.connect, sock_read=limits.read
                ),
                headers={"User-Agent": self._agent},
                # Cookies are not ours to keep; a feed needs none.
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._session

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        limit: int | None = None,
    ) -> Fetched:
        """GET `url` (conditionally when validators are given); FetchError on any failure."""
        host = _checked(url)
        lock = self._hosts.setdefault(host, asyncio.Lock())
        async with lock:
            try:
                async with asyncio.timeout(self.limits.total):
                    return await self._follow(url, etag, last_modified, limit)
            except TimeoutError:
                raise FetchError(f"no answer within {self.limits.total:g} s") from None
            except aiohttp.ClientError as exc:
                reason = " ".join(str(exc).split())[:200] or type(exc).__name__
                raise FetchError(f"connection failed: {reason}") from None

    async def _follow(
        self, url: str, etag: str | None, last_modified: str | None, limit: int | None
    ) -> Fetched:
        headers = {"Accept": ACCEPT}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = url
        for _hop in range(self.limits.max_redirects + 1):
            async with self._client().get(
                current, headers=headers, allow_redirects=False
            ) as response:
                if response.status in _REDIRECTS:
                    location = response.headers.get("Location")
                    if not location:
                        raise FetchError(f"HTTP {response.status} without a Location")
                    current = urljoin(current, location)
                    _checked(current)
                    continue
                if response.status == 304:
                    return Fetched(
                        url=current,
                        status=304,
                        etag=response.headers.get("ETag") or etag,
                        last_modified=response.headers.get("Last-Modified") or last_modified,
                        max_age=_max_age(response.headers.get("Cache-Control")),
                    )
                if response.status != 200:
                    raise FetchError(
                        f"HTTP {response.status}",
                        retry_after=self._retry_after(response.headers.get("Retry-After")),
                    )
                body = await _read(response, limit or self.limits.max_body)
                return Fetched(
                    url=current,
                    status=200,
                    body=body,
                    content_type=response.headers.get("Content-Type"),
                    etag=response.headers.get("ETag"),
                    last_modified=response.headers.get("Last-Modified"),
                    max_age=_max_age(response.headers.get("Cache-Control")),
                )
        raise FetchError(f"more than {self.limits.max_redirects} redirects")

    def _retry_after(self, value: str | None) -> float | None:
        """Retry-After as seconds: a number, or an HTTP date."""
        if not value:
            return None
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            return None
        return max(0.0, (when - self._clock.now()).total_seconds())


def _checked(url: str) -> str:
    """The URL's host; FetchError unless it is an http or https URL with a host."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"only http and https addresses can be fetched, not {url[:100]!r}")
    return parts.hostname.lower() + (f":{parts.port}" if parts.port else "")


async def _read(response: aiohttp.ClientResponse, limit: int) -> bytes:
    declared = response.content_length
    if declared is not None and declared > limit:
        raise FetchError(f"the answer is {declared:,} bytes, over the {limit:,} byte limit")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(_CHUNK):
        size += len(chunk)
        if size > limit:
            # Leaving the block unread closes the connection: the rest is never downloaded.
            response.close()
            raise FetchError(f"the answer is over the {limit:,} byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


def _max_age(value: str | None) -> float | None:
    if not value or _NO_CACHE.search(value):
        return None
    match = _MAX_AGE.search(value)
    return float(match[1]) if match else None
