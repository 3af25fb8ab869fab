"""`/target add|remove @channel` in private chat, through the real core and the delivery engine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.telegram.targets import chat_identifier, target_words
from tests.telegram.world import ADMIN, World, running_world

CHANNEL = -1001234567890


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with running_world(tmp_path) as running:
        running.fake.add_channel(CHANNEL, "society_news", title="Society news")
        yield running


def lookups(world: World) -> int:
    """getChat calls, and getChatMember calls asking about the bot itself."""
    bot_id = world.fake.bot["id"]
    members = [c for c in world.fake.calls("getChatMember") if c["user_id"] == bot_id]
    return len(world.fake.calls("getChat")) + len(members)


async def test_admin_targets_a_channel_and_a_tagged_post_reaches_it(world: World) -> None:
    answer = await world.say(ADMIN, "/target add @society_news Korea")
    assert answer.text == "@society_news now receives: #Korea."
    assert world.fake.calls("getChat")[0]["chat_id"] == "@society_news"
    assert await world.chat(CHANNEL) == (True, None)
    assert (
        "goes to 1 chat."
        in (await world.say(ADMIN, "/post Liberation Day\nText\nTags: Korea")).text
    )
    assert "goes to 0 chats" in (await world.say(ADMIN, "/post Concert\nText\nTags: Music")).text
    await world.settle()
    (received,) = world.fake.sent_to(CHANNEL)
    assert received.text.startswith("Liberation Day\n\nText")
    removed = await world.say(ADMIN, "/target remove @society_news")
    assert removed.text == "@society_news receives nothing now."
    assert "goes to 0 chats" in (await world.say(ADMIN, "/post Later\nText\nTags: Korea")).text


async def test_an_added_admin_may_target_and_a_link_works_too(world: World) -> None:
    assert "now an admin" in (await world.say(ADMIN, "/admin add telegram:5")).text
    answer = await world.say(5, "/target add https://t.me/society_news")
    assert answer.text == "https://t.me/society_news now receives: everything."
    assert await world.chat(CHANNEL) == (True, None)


async def test_non_admin_is_refused_without_a_single_lookup(world: World) -> None:
    answer = await world.say(999, "/target add @society_news Korea")
    assert "Only Herald admins can use /target" in answer.text
    assert lookups(world) == 0
    assert await world.chat(CHANNEL) is None


async def test_unknown_channel_gets_the_clear_answer(world: World) -> None:
    answer = await world.say(ADMIN, "/target add @nowhere_at_all Korea")
    assert answer.text.startswith("I cannot see @nowhere_at_all.")
    assert await world.scalar("SELECT count(*) FROM chats WHERE kind = 'channel'") == 0


async def test_channel_where_the_bot_is_no_admin_is_not_a_target(world: World) -> None:
    world.fake.add_channel(-1009, "elsewhere", bot_admin=False)
    answer = await world.say(ADMIN, "/target add @elsewhere")
    assert answer.text.startswith("I cannot see @elsewhere.")
    assert await world.chat(-1009) is None


async def test_bad_usage_and_groups_do_no_lookup(world: World) -> None:
    assert "Usage: /target" in (await world.say(ADMIN, "/target list")).text
    answer = await world.say(-500, "/target add @society_news", user_id=ADMIN, kind="group")
    assert answer.text.startswith("I cannot see @society_news.")
    assert lookups(world) == 0


def test_target_names_and_identifiers() -> None:
    assert target_words("/target add @news Korea, DPRK") == ("add", "@news")
    assert target_words("/target REMOVE @news") == ("remove", "@news")
    assert target_words("/target list") is None
    assert target_words("/target add") is None
    assert target_words("/tag add @news") is None
    assert chat_identifier("@news_room") == "@news_room"
    assert chat_identifier("t.me/news_room") == "@news_room"
    assert chat_identifier("https://t.me/news_room/") == "@news_room"
    assert chat_identifier("-1001234567890") == -1001234567890
    assert chat_identifier("@no") is None
    assert chat_identifier("news room") is None


async def test_a_channel_that_demoted_the_bot_can_still_be_removed(world: World) -> None:
    assert "now receives" in (await world.say(ADMIN, "/target add @society_news")).text
    world.fake.admins[CHANNEL].discard(world.fake.bot_id)
    assert (await world.say(ADMIN, "/target add @society_news")).text.startswith("I cannot see")
    removed = await world.say(ADMIN, "/target remove @society_news")
    assert removed.text == "@society_news receives nothing now."


async def test_a_public_group_where_the_bot_is_a_member_becomes_a_group_target(
    world: World,
) -> None:
    world.fake.add_chat(-1002000, "supergroup", title="Society chat", username="society_chat")
    answer = await world.say(ADMIN, "/target add @society_chat Music")
    assert answer.text == "@society_chat now receives: #Music."
    assert await world.scalar("SELECT kind FROM chats WHERE external_id = '-1002000'") == "group"


async def test_a_bot_api_outage_during_the_lookup_is_a_polite_error(world: World) -> None:
    world.fake.fail("getChat", "server_error")
    answer = await world.say(ADMIN, "/target add @society_news")
    assert answer.text == "Something went wrong; the error was logged."
    assert await world.chat(CHANNEL) is None
