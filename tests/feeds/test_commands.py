"""`/feed` in chat (admins only, on every platform) and `herald feed` from a shell."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.feeds.fetch import HttpFetcher
from bot.app import Herald, open_herald
from bot.commands.feeds import parse_add
from bot.commands.parsing import parse_command_line
from bot.commands.router import CommandRouter
from bot.commands.types import Command
from bot.domain import ChatKind
from bot.feeds.sources import SourceMode
from bot.settings import Settings
from tests.feeds.site import Page, Site, rss
from tests.feeds.support import feed_service

ADMIN = "telegram:1"


@pytest.fixture
async def herald(tmp_path: Path, fetcher: HttpFetcher) -> AsyncIterator[Herald]:
    """Herald on SQLite whose feed service reads with the tests' small parser."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'h.db'}", admins=ADMIN)
    running = await open_herald(settings)
    feeds = feed_service(running.repository, fetcher, running.clock)
    running.services = replace(running.services, feeds=feeds)
    running.router = CommandRouter(running.services)
    running.feeds = feeds
    try:
        yield running
    finally:
        await running.close()


async def say(herald: Herald, platform: str, user: str, text: str) -> str:
    kind = ChatKind.PRIVATE if platform == "telegram" else ChatKind.GUILD_CHANNEL
    reply = await herald.router.handle(
        Command(platform, user, kind, user, text, is_chat_admin=True)
    )
    assert reply is not None
    return reply.plain()


@pytest.mark.parametrize("platform", ["telegram", "discord"])
async def test_feed_is_refused_to_non_admins(herald: Herald, platform: str) -> None:
    for action in ("list", "add http://127.0.0.1/rss", "pause 1", "remove 1"):
        answer = await say(herald, platform, "999", f"/feed {action}")
        assert "admin" in answer.lower(), answer
    assert await herald.repository.feeds.all() == []


async def test_an_admin_adds_lists_pauses_and_removes_a_feed(herald: Herald, site: Site) -> None:
    site.pages["/rss"] = Page(rss(("urn:1", "One", "<p>x</p>")))
    added = await say(
        herald,
        "telegram",
        "1",
        f"/feed add {site.url('/rss')} --tags News, Korea --draft --every 30m",
    )
    assert added.startswith("Feed #1 added (feed): 1 entry there now is taken as seen.")
    assert "draft" in added
    assert "every 30m" in added
    source = await herald.repository.feeds.get(1)
    assert source is not None
    assert (source.tags, source.mode) == (("News", "Korea"), SourceMode.DRAFT)
    again = await say(herald, "telegram", "1", f"/feed add {site.url('/rss')}")
    assert again == "That address is already feed #1."
    listing = await say(herald, "telegram", "1", "/feed list")
    assert site.url("/rss") in listing
    assert "feed, draft, every 30m; active" in listing
    assert "next poll" in listing
    assert await say(herald, "telegram", "1", "/feed pause 1") == "Feed #1 paused."
    assert "paused" in await say(herald, "telegram", "1", "/feed list")
    polled = await say(herald, "telegram", "1", "/feed poll 1")
    assert polled.strip() == "Feed #1: not changed."
    removed = await say(herald, "telegram", "1", "/feed remove 1")
    assert removed == "Feed #1 removed; its announcements stay."
    assert await say(herald, "telegram", "1", "/feed pause 1") == "There is no feed #1."


@pytest.mark.parametrize(
    "text",
    ["/feed", "/feed add", "/feed add --draft", "/feed pause x", "/feed add http://x --every 1s",
     "/feed add http://x --bogus", "/feed add http://x --backfill -1", "/feed list 2"],
)  # fmt: skip
async def test_bad_feed_commands_get_the_usage(herald: Herald, text: str) -> None:
    assert (await say(herald, "telegram", "1", text)).startswith("Usage: /feed add URL")


async def test_an_address_that_is_not_a_feed_is_refused_with_the_reason(
    herald: Herald, site: Site
) -> None:
    answer = await say(herald, "telegram", "1", f"/feed add {site.url('/nothing')}")
    assert answer == f"I could not fetch {site.url('/nothing')}: HTTP 404"
    answer = await say(herald, "telegram", "1", "/feed add ftp://example.org/rss")
    assert answer == "Only http and https addresses can be followed."


def test_add_options_parse() -> None:
    options = parse_add(
        "https://s.example/rss --tags Friends of Korea, DPRK --every 2h --backfill 3"
    )
    assert options.tags == ["Friends of Korea", "DPRK"]
    assert (options.every, options.backfill, options.mode) == (
        timedelta(hours=2), 3, SourceMode.PUBLISH,
    )  # fmt: skip
    assert parse_command_line("/feed list") is not None


def _herald_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "feed", *args],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip


def test_herald_feed_from_a_shell(tmp_path: Path) -> None:
    # Two subprocesses only (each costs a second): the handlers are tested in process above.
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
    env["HERALD_DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.db'}"
    env["HERALD_HTTP_LISTEN"] = "off"
    missing = _herald_cli("pause", "7", env=env)
    assert (missing.returncode, missing.stderr.strip()) == (1, "herald: there is no feed #7")
    bad = _herald_cli("add", "https://s.example/rss", "--every", "1s", env=env)
    assert bad.returncode == 2
    assert bad.stderr.strip() == "herald: --every: the interval 1s is outside 5m to 7d"
