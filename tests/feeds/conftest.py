"""Fixtures: the society's website on loopback, a polite fetcher pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.feeds.fetch import FetchLimits, HttpFetcher, user_agent
from tests.feeds.site import Site


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    """A running website with no pages yet."""
    server = await Site().start()
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
async def fetcher() -> AsyncIterator[HttpFetcher]:
    """A fetcher with short timeouts (a slow page fails in half a second)."""
    client = HttpFetcher(
        user_agent("1.2.3", "https://herald.example/"),
        FetchLimits(total=0.5, connect=0.5, read=0.5),
    )
    try:
        yield client
    finally:
        await client.close()
