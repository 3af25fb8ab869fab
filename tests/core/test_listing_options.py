"""`/latest [page] [count]` and `/tags [page]`: each number does what it says (real database)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import Herald, open_herald
from bot.commands import member
from bot.commands.types import Command
from bot.domain import ChatKind
from bot.ports import ManualClock
from bot.replies import Reply
from bot.settings import Settings


@pytest.fixture
async def herald(database_url: str, clock: ManualClock) -> AsyncIterator[Herald]:
    from storage.engine import create_engine
    from storage.migrate import upgrade

    engine = create_engine(database_url)
    await upgrade(engine)
    await engine.dispose()
    settings = Settings(database_url=database_url, admins="console:owner")
    running = await open_herald(settings, clock=clock)
    try:
        yield running
    finally:
        await running.close()


async def ask(herald: Herald, line: str, *, user: str = "owner", language: str = "en") -> Reply:
    platform = "console" if user == "owner" else "telegram"
    reply = await herald.router.handle(
        Command(platform, user, ChatKind.PRIVATE, user, line, language_hint=language)
    )
    assert reply is not None, line
    return reply


def actions(reply: Reply) -> list[str]:
    return [button.action for row in reply.buttons for button in row]


async def test_latest_count_sets_how_many_to_a_page_and_the_buttons_keep_it(
    herald: Herald, clock: ManualClock
) -> None:
    for n in range(7):
        await ask(herald, f"/post News {n}\nBody {n}.")
    default = await ask(herald, "/latest", user="9")
    assert "Page 1 of 2" in default.plain()  # five to a page
    three = await ask(herald, "/latest 1 3", user="9")
    text = three.plain()
    assert [f"News {n}" in text for n in (6, 5, 4, 3)] == [True, True, True, False]
    assert "Page 1 of 3" in text
    assert actions(three) == ["/latest 2 3"]
    last = await ask(herald, "/latest 3 3", user="9")
    assert "News 0" in last.plain()
    assert "News 1" not in last.plain()
    assert actions(last) == ["/latest 2 3"]
    second = await ask(herald, "/latest 2", user="9")
    assert "Page 2 of 2" in second.plain()
    assert actions(second) == ["/latest 1"]
    ten = await ask(herald, "/latest 1 10", user="9")
    assert all(f"News {n}" in ten.plain() for n in range(7))


@pytest.mark.parametrize(
    "line", ["/latest 1 11", "/latest 1 0", "/latest 1 x", "/latest 1 2 3", "/latest 1 ٣"]
)
async def test_latest_refuses_a_count_it_cannot_show(herald: Herald, line: str) -> None:
    reply = await ask(herald, line, user="9")
    assert reply.plain() == "Usage: /latest [page] [count]: count is how many to a page, 1–10."
    assert reply.failure == "usage"
    russian = await ask(herald, line, user="9", language="ru")
    assert russian.plain().startswith("Использование: /latest [страница] [число]")


async def test_tags_are_paged(herald: Herald, monkeypatch: pytest.MonkeyPatch) -> None:
    assert (await ask(herald, "/tags", user="9")).plain() == "No tags yet."
    assert (await ask(herald, "/tags 2", user="9")).plain() == "No tags yet."
    monkeypatch.setattr(member, "TAGS_SHOWN", 2)
    # Alpha on five posts, Beta on four, ... Echo on one: most used first.
    names = ["Alpha", "Beta", "Gamma", "Delta", "Echo"]
    for n in range(5):
        await ask(herald, f"/post Post {n}\nBody.\nTags: {', '.join(names[: 5 - n])}")
    first = await ask(herald, "/tags", user="9")
    assert "#Alpha (5)" in first.plain()
    assert "#Beta (4)" in first.plain()
    assert "Gamma" not in first.plain()
    assert "Page 1 of 3" in first.plain()
    assert actions(first) == ["/tag Alpha", "/tag Beta", "/tags 2"]
    second = await ask(herald, "/tags 2", user="9")
    assert "#Gamma (3)" in second.plain()
    assert "#Delta (2)" in second.plain()
    assert actions(second) == ["/tag Gamma", "/tag Delta", "/tags 1", "/tags 3"]
    third = await ask(herald, "/tags 3", user="9")
    assert "#Echo (1)" in third.plain()
    assert "Page 3 of 3" in third.plain()
    beyond = await ask(herald, "/tags 4", user="9")
    assert beyond.plain() == "Page 4 is past the end (the last page is 3)."
    assert beyond.failure == "not_found"
    russian = await ask(herald, "/tags 9", user="9", language="ru")
    assert russian.plain() == "Страницы 9 нет: последняя страница — 3."
    for bad in ("/tags x", "/tags 0", "/tags -1"):
        refused = await ask(herald, bad, user="9")
        assert refused.plain().endswith("is not a page number: use 1 to 1000.")
        assert refused.failure == "usage"


async def test_one_short_page_of_tags_is_not_counted_twice(herald: Herald) -> None:
    await ask(herald, "/post Post\nBody.\nTags: Alpha, Beta")
    reply = await ask(herald, "/tags", user="9")
    assert "Page" not in reply.plain()
    assert actions(reply) == ["/tag Alpha", "/tag Beta"]
