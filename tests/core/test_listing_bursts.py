"""Many members asking one listing at once: right answers in each chat's language, fresh pages."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.app import Herald, open_herald
from bot.commands.types import Command
from bot.domain import ChatKind
from bot.ports import ManualClock
from bot.replies import Reply
from bot.settings import Settings
from storage.engine import create_engine
from storage.migrate import upgrade


@pytest.fixture
async def herald(database_url: str, clock: ManualClock) -> AsyncIterator[Herald]:
    """Herald on the test database; the console user is an owner."""
    engine = create_engine(database_url)
    await upgrade(engine)
    await engine.dispose()
    settings = Settings(database_url=database_url, admins="console:owner", timezone="Asia/Seoul")
    herald = await open_herald(settings, clock=clock)
    try:
        yield herald
    finally:
        await herald.close()


async def ask(herald: Herald, user: int, line: str, hint: str | None = None) -> Reply:
    command = Command("telegram", str(user), ChatKind.PRIVATE, str(user), line, language_hint=hint)
    reply = await herald.router.handle(command)
    assert reply is not None
    return reply


async def post(herald: Herald, line: str) -> None:
    command = Command("console", "local", ChatKind.PRIVATE, "owner", line)
    reply = await herald.router.handle(command)
    assert reply is not None
    assert "#" in reply.plain(), reply


async def test_a_burst_of_new_members_gets_the_page_in_each_language(herald: Herald) -> None:
    for n in range(7):
        await post(herald, f"/post Title {n}\nBody {n}\nTags: Korea")
    await ask(herald, 5, "/lang ko")
    replies = await asyncio.gather(
        *(ask(herald, user, "/tag Korea", "ru" if user % 2 else "en") for user in range(2, 102))
    )
    english = [
        reply.plain()
        for user, reply in zip(range(2, 102), replies, strict=True)
        if user % 2 == 0 and user != 5
    ]
    russian = [
        reply.plain()
        for user, reply in zip(range(2, 102), replies, strict=True)
        if user % 2 and user != 5
    ]
    assert len(set(english)) == 1
    assert "announcements: 7" in english[0]
    assert len(set(russian)) == 1
    assert "объявлений: 7" in russian[0]
    assert "Title 6" in english[0]
    assert "Title 6" in russian[0]
    # User 5 chose Korean; the Russian hint of its client does not override the chat's choice.
    korean = replies[5 - 2].plain()
    assert korean not in (english[0], russian[0])
    assert "Title 6" in korean
    assert [b.action for row in replies[0].buttons for b in row] == ["/tag Korea 2"]
    # The page was rendered once per language and handed to every member asking in it.
    assert replies[0] is replies[2]


async def test_a_new_post_shows_at_once_in_the_next_answer(herald: Herald) -> None:
    await post(herald, "/post First\nBody\nTags: Korea")
    before = await ask(herald, 7, "/tag Korea")
    again = await ask(herald, 8, "/tag Korea")
    assert again.plain() == before.plain()
    assert "announcements: 1" in before.plain()
    await post(herald, "/post Second\nBody\nTags: Korea")
    after = await ask(herald, 9, "/tag Korea")
    assert "announcements: 2" in after.plain()
    assert "Second" in after.plain()
    latest = await ask(herald, 9, "/latest")
    assert "Second" in latest.plain()
    await post(herald, "/post Third\nBody\nTags: Japan")
    assert "Third" in (await ask(herald, 10, "/latest")).plain()
