"""The website served by a real `herald run` on HERALD_HTTP_LISTEN, through a real client."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import feedparser
import pytest

from tests.fakes.telegram_api import FakeTelegram
from tests.http.support import HERALD, clean_env, get, herald_run

TOKEN = "777002:website-secret-token-value"


async def _herald(env: dict[str, str], *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        str(HERALD), *args, env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await process.communicate()
    assert process.returncode == 0, out.decode()
    return out.decode()


@pytest.mark.slow
async def test_herald_run_serves_the_website(tmp_path: Path) -> None:
    post = tmp_path / "post.txt"
    post.write_text("Founding day\nThe society was founded in 1990.\n", encoding="utf-8")
    async with FakeTelegram(TOKEN) as fake:
        env = clean_env(
            tmp_path, HERALD_TELEGRAM_TOKEN=TOKEN, HERALD_TELEGRAM_API_URL=fake.root,
            HERALD_PUBLIC_URL="https://society.example", HERALD_SITE_NAME="Friendship Society",
            HERALD_TIMEZONE="Europe/Moscow",
        )
        await _herald(env, "db", "upgrade")
        await _herald(env, "post", "--file", str(post), "--tags", "History")
        await _herald(env, "anniversary", "add", "1990-03-01", "Founding", "#History")
        async with herald_run(env, tmp_path) as herald:
            home = await get(herald.url + "/")
            page = await get(herald.url + "/announcements/1")
            atom = await get(herald.url + "/tags/history/feed.atom")
            feed = await get(herald.url + "/feed.json")
            ics = await get(herald.url + "/anniversaries.ics")
            assert await herald.stop() == 0
    assert home[0] == 200
    assert "Friendship Society" in home[1]
    assert "Founding day" in home[1]
    assert page[0] == 200
    assert "The society was founded in 1990." in page[1]
    assert feedparser.parse(atom[1]).entries[0].id == "https://society.example/announcements/1"
    assert json.loads(feed[1])["items"][0]["url"] == "https://society.example/announcements/1"
    assert ics[0] == 200
    assert "SUMMARY:Founding" in ics[1]
