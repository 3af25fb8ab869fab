"""Web views next to chat views in /show and /stats; /show links to the page when public."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import Herald, open_herald
from bot.commands.types import Command
from bot.domain import ChatKind
from bot.ports import ManualClock
from bot.replies import Reply
from bot.settings import Settings
from bot.site.ports import WebView
from storage.engine import create_engine
from storage.migrate import upgrade


async def _open(database_url: str, clock: ManualClock, public_url: str | None = None) -> Herald:
    engine = create_engine(database_url)
    await upgrade(engine)
    await engine.dispose()
    settings = Settings(database_url=database_url, admins="telegram:1", public_url=public_url)
    return await open_herald(settings, clock=clock)


@pytest.fixture
async def herald(database_url: str, clock: ManualClock) -> AsyncIterator[Herald]:
    opened = await _open(database_url, clock, public_url="https://society.example/")
    yield opened
    await opened.close()


async def _say(herald: Herald, text: str, user: str = "1") -> Reply:
    reply = await herald.router.handle(
        Command(platform="telegram", chat_id=user, chat_kind=ChatKind.PRIVATE, user_id=user,
                text=text)
    )
    assert reply is not None
    return reply


async def _post_with_web_views(herald: Herald, clock: ManualClock) -> int:
    await _say(herald, "/post Founding day\nThe society was founded.")
    aid = (await herald.services.announcements.latest()).items[0].id
    day = clock.now().date()
    views = [WebView(aid, day, f"visitor{n}") for n in range(3)]
    assert await herald.repository.site.record_views(views + views[:1]) == 3
    return aid


async def test_show_gives_both_counts_and_the_website_button(
    herald: Herald, clock: ManualClock
) -> None:
    aid = await _post_with_web_views(herald, clock)
    reply = await _say(herald, f"/show {aid}", user="5")
    # The count as it was before this reading, as /show always showed it.
    assert "Views: 0 in chats, 3 on the website" in reply.plain()
    (button,) = reply.buttons[0]
    assert button.url == f"https://society.example/announcements/{aid}"
    assert button.label == "Read on the website"
    russian = await _say(herald, "/lang ru", user="6")
    assert russian is not None
    shown = await _say(herald, f"/show {aid}", user="6")
    assert shown.buttons[0][0].label == "Читать на сайте"


async def test_stats_gives_both_counts(herald: Herald, clock: ManualClock) -> None:
    aid = await _post_with_web_views(herald, clock)
    await _say(herald, f"/show {aid}", user="5")
    overall = (await _say(herald, "/stats")).plain()
    one = (await _say(herald, f"/stats {aid}")).plain()
    assert "Views: 1 in chats, 3 on the website" in overall
    assert "Views: 1 in chats, 3 on the website" in one
    refused = (await _say(herald, "/stats", user="9")).plain()
    assert "on the website" not in refused


async def test_no_button_without_a_public_url(database_url: str, clock: ManualClock) -> None:
    herald = await _open(database_url, clock)
    try:
        await _say(herald, "/post Title\nBody.")
        aid = (await herald.services.announcements.latest()).items[0].id
        reply = await _say(herald, f"/show {aid}", user="5")
    finally:
        await herald.close()
    assert reply.buttons == ()
    assert "Views: 0" in reply.plain()
    assert "on the website" not in reply.plain()


def test_a_bad_public_url_is_refused() -> None:
    with pytest.raises(ValueError, match="is not a web address"):
        Settings(public_url="society.example")
    with pytest.raises(ValueError, match="is not a web address"):
        Settings(public_url="javascript:alert(1)")
    assert Settings(public_url="https://society.example/news/").public_url == (
        "https://society.example/news"
    )
