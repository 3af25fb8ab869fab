"""The polite fetcher against a loopback site: validators, limits, redirects, one per host."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from aiohttp import web

from adapters.feeds.fetch import HttpFetcher
from bot.feeds.ports import FetchError
from bot.ports import ManualClock
from tests.feeds.site import Page, Site, rss

MB = 1024 * 1024


async def test_a_conditional_get_sends_the_validators_and_reads_a_304(
    site: Site, fetcher: HttpFetcher
) -> None:
    site.pages["/feed"] = Page(
        rss(("1", "One", "First")),
        headers={"Last-Modified": "Sat, 05 Dec 2026 10:00:00 GMT", "Cache-Control": "max-age=600"},
    )
    first = await fetcher.fetch(site.url("/feed"))
    assert first.status == 200
    assert first.etag
    assert first.max_age == 600
    assert b"<title>One</title>" in first.body
    again = await fetcher.fetch(
        site.url("/feed"), etag=first.etag, last_modified=first.last_modified
    )
    assert again.not_modified
    assert again.body == b""
    assert again.etag == first.etag
    headers = site.requests[-1][1]
    assert headers["If-None-Match"] == first.etag
    assert headers["If-Modified-Since"] == "Sat, 05 Dec 2026 10:00:00 GMT"
    assert headers["User-Agent"] == "Herald/1.2.3 (+https://herald.example/)"


async def test_no_cache_is_not_a_max_age(site: Site, fetcher: HttpFetcher) -> None:
    site.pages["/feed"] = Page(b"x", headers={"Cache-Control": "no-cache, max-age=600"})
    assert (await fetcher.fetch(site.url("/feed"))).max_age is None


async def test_a_server_error_fails_with_its_status_and_retry_after(
    site: Site, fetcher: HttpFetcher
) -> None:
    site.pages["/feed"] = Page(b"down", status=503, headers={"Retry-After": "120"})
    with pytest.raises(FetchError) as failed:
        await fetcher.fetch(site.url("/feed"))
    assert failed.value.reason == "HTTP 503"
    assert failed.value.retry_after == 120


async def test_retry_after_as_an_http_date(site: Site) -> None:
    clock = ManualClock(datetime(2026, 12, 5, 10, 0, tzinfo=UTC))
    client = HttpFetcher("Herald/test", clock=clock)
    site.pages["/feed"] = Page(
        b"busy", status=429, headers={"Retry-After": "Sat, 05 Dec 2026 10:05:00 GMT"}
    )
    try:
        with pytest.raises(FetchError) as failed:
            await client.fetch(site.url("/feed"))
    finally:
        await client.close()
    assert failed.value.retry_after == 300


async def test_a_slow_answer_times_out(site: Site, fetcher: HttpFetcher) -> None:
    site.pages["/slow"] = Page(b"late", delay=0.8)
    started = asyncio.get_running_loop().time()
    with pytest.raises(FetchError, match="no answer within"):
        await fetcher.fetch(site.url("/slow"))
    assert asyncio.get_running_loop().time() - started < 2.0


async def test_a_redirect_loop_stops_after_five_hops(site: Site, fetcher: HttpFetcher) -> None:
    async def loop(request: web.Request) -> web.StreamResponse:
        return web.Response(
            status=302, headers={"Location": "/b" if request.path == "/a" else "/a"}
        )

    site.handlers["/a"] = site.handlers["/b"] = loop
    with pytest.raises(FetchError, match="more than 5 redirects"):
        await fetcher.fetch(site.url("/a"))
    assert len(site.requests) == 6


async def test_redirects_are_followed_to_http_only(site: Site, fetcher: HttpFetcher) -> None:
    async def moved(request: web.Request) -> web.StreamResponse:
        return web.Response(status=301, headers={"Location": "/feed"})

    async def away(request: web.Request) -> web.StreamResponse:
        return web.Response(status=302, headers={"Location": "file:///etc/passwd"})

    site.handlers["/old"] = moved
    site.handlers["/evil"] = away
    site.pages["/feed"] = Page(b"here")
    fetched = await fetcher.fetch(site.url("/old"))
    assert (fetched.url, fetched.body) == (site.url("/feed"), b"here")
    with pytest.raises(FetchError, match="only http and https"):
        await fetcher.fetch(site.url("/evil"))
    with pytest.raises(FetchError, match="only http and https"):
        await fetcher.fetch("ftp://127.0.0.1/feed")


async def test_a_50_mb_body_is_cut_at_5_mb_without_reading_the_rest(
    site: Site, fetcher: HttpFetcher
) -> None:
    written = 0
    chunk = b"<" * (256 * 1024)

    async def huge(request: web.Request) -> web.StreamResponse:
        nonlocal written
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        try:
            while written < 50 * MB:
                await response.write(chunk)
                written += len(chunk)
        except (ConnectionError, RuntimeError):
            pass
        return response

    site.handlers["/huge"] = huge
    fetcher.limits = type(fetcher.limits)(total=10.0, connect=5.0, read=5.0)
    with pytest.raises(FetchError, match="over the 5,242,880 byte limit"):
        await fetcher.fetch(site.url("/huge"))
    await asyncio.sleep(0.05)
    assert written < 20 * MB


async def test_a_declared_length_over_the_limit_is_refused_before_reading(
    site: Site, fetcher: HttpFetcher
) -> None:
    site.pages["/big"] = Page(b"x" * (MB + 1))
    with pytest.raises(FetchError, match="1,048,577 bytes, over the 1,048,576 byte limit"):
        await fetcher.fetch(site.url("/big"), limit=MB)


async def test_one_request_at_a_time_per_host(site: Site, fetcher: HttpFetcher) -> None:
    site.pages["/one"] = Page(b"1", delay=0.1)
    site.pages["/two"] = Page(b"2", delay=0.1)
    await asyncio.gather(fetcher.fetch(site.url("/one")), fetcher.fetch(site.url("/two")))
    assert site.max_in_flight == 1


async def test_a_refused_connection_is_a_fetch_error(fetcher: HttpFetcher) -> None:
    with pytest.raises(FetchError, match="connection failed"):
        await fetcher.fetch("http://127.0.0.1:9/feed")
