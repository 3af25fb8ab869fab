"""The fake Bot API answers python-telegram-bot (and plain JSON clients) like Telegram does."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from tests.fakes.telegram_api import FakeTelegram


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    request = HTTPXRequest(read_timeout=1.0)
    async with Bot(fake.token, base_url=fake.base_url, request=request) as tg_bot:
        yield tg_bot


async def test_get_me_and_html_message_kept(fake: FakeTelegram, bot: Bot) -> None:
    assert bot.username == "herald_test_bot"
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Next", callback_data="/tag 1 2")]])
    sent = await bot.send_message(42, "<b>Hi</b> &lt;you&gt;", parse_mode="HTML",
                                  reply_markup=markup)
    assert sent.text == "Hi <you>"
    assert sent.entities[0].type == "bold"
    kept = await fake.next_message(42)
    assert (kept.message_id, kept.text, kept.raw) == (sent.message_id, "Hi <you>",
                                                      "<b>Hi</b> &lt;you&gt;")
    assert kept.buttons == [[{"text": "Next", "callback_data": "/tag 1 2"}]]
    edited = await bot.edit_message_text("plain now", chat_id=42, message_id=sent.message_id)
    assert isinstance(edited, object)
    assert fake.sent_to(42)[0].text == "plain now"
    assert await bot.delete_message(42, sent.message_id)
    assert fake.sent_to(42) == []


async def test_message_ids_increment_per_chat(bot: Bot) -> None:
    first = await bot.send_message(1, "a")
    second = await bot.send_message(1, "b")
    other = await bot.send_message(2, "c")
    assert (first.message_id, second.message_id, other.message_id) == (1, 2, 1)


async def test_validation_like_telegram(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(1, "𝄞" * 2049)  # 4098 UTF-16 units
    await bot.send_message(1, "𝄞" * 2048)
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(1, "<b>open", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(1, "<script>x</script>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)text is empty"):
        await bot.send_message(1, "<b> </b>", parse_mode="HTML")


async def test_long_poll_wakes_on_injected_update(fake: FakeTelegram, bot: Bot) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=10, read_timeout=15))
    await asyncio.sleep(0.05)
    assert not poll.done()
    fake.send_text(5, "/ping")
    updates = await poll
    assert time.monotonic() - started < 2
    assert updates[0].message is not None
    assert updates[0].message.text == "/ping"
    assert updates[0].message.entities[0].type == "bot_command"
    again = await bot.get_updates(offset=updates[0].update_id + 1, timeout=0)
    assert again == ()


async def test_injected_update_kinds_parse(fake: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(-100, "menu")
    fake.press(-100, sent.message_id, "/tags", user_id=9)
    fake.member_update(-1001, "administrator", kind="channel")
    fake.member_update(7, "kicked", old_status="member")
    fake.migrate(-100, -1002)
    fake.sticker(7)
    fake.edit_user_message(7, 1, "changed")
    fake.channel_post(-1001, "/subscribe Korea")
    updates = await bot.get_updates(timeout=0)
    assert updates[0].callback_query is not None
    assert updates[0].callback_query.data == "/tags"
    assert updates[1].my_chat_member is not None
    assert updates[1].my_chat_member.new_chat_member.status == "administrator"
    assert updates[2].my_chat_member is not None
    assert updates[2].my_chat_member.new_chat_member.status == "kicked"
    assert updates[3].message is not None
    assert updates[3].message.migrate_to_chat_id == -1002
    assert updates[4].message is not None
    assert updates[4].message.sticker is not None
    assert updates[5].edited_message is not None
    assert updates[6].channel_post is not None
    assert updates[6].channel_post.chat.type == "channel"


async def test_faults_map_to_ptb_errors(
    fake: FakeTelegram, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # as TelegramPlatform opts in
    fake.fail("sendMessage", "retry_after", chat_id=1, retry_after=7)
    with pytest.raises(RetryAfter) as retry:
        await bot.send_message(1, "x")
    assert retry.value.retry_after == timedelta(seconds=7)
    await bot.send_message(1, "x")  # the fault fired once
    fake.fail("sendMessage", "migrate", migrate_to=-1009)
    with pytest.raises(ChatMigrated) as moved:
        await bot.send_message(-5, "x")
    assert moved.value.new_chat_id == -1009
    fake.block(3)
    with pytest.raises(Forbidden):
        await bot.send_message(3, "x")
    fake.fail("sendMessage", "bad_request")
    with pytest.raises(BadRequest):
        await bot.send_message(1, "x")
    fake.fail("sendMessage", "server_error", status=502)
    with pytest.raises(NetworkError):
        await bot.send_message(1, "x")
    fake.fail("sendMessage", "hang")
    with pytest.raises(TimedOut):
        await bot.send_message(1, "x", read_timeout=0.2)


async def test_limits_enforced() -> None:
    async with FakeTelegram(enforce_limits=True, global_per_second=3) as fake, Bot(
        fake.token, base_url=fake.base_url
    ) as bot:
        await bot.send_message(1, "a")
        with pytest.raises(RetryAfter):
            await bot.send_message(1, "b")
        await bot.send_message(2, "a")
        await bot.send_message(3, "a")
        with pytest.raises(RetryAfter):
            await bot.send_message(4, "a")
        assert fake.rate_limited == 2


async def test_admins_commands_and_plain_json(fake: FakeTelegram, bot: Bot) -> None:
    fake.set_admins(-7, 11, 12)
    member = await bot.get_chat_member(-7, 12)
    assert member.status == "administrator"
    assert (await bot.get_chat_member(-7, 13)).status == "member"
    admins = await bot.get_chat_administrators(-7)
    assert [a.status for a in admins] == ["creator", "administrator"]
    await bot.set_my_commands([("ping", "Check")], language_code="ru")
    assert [c.command for c in await bot.get_my_commands(language_code="ru")] == ["ping"]
    assert await bot.get_my_commands() == ()
    async with aiohttp.ClientSession() as session, session.post(
        f"{fake.base_url}{fake.token}/sendMessage", json={"chat_id": 8, "text": "json body"}
    ) as response:
        body = await response.json()
    assert body["ok"] is True
    assert body["result"]["text"] == "json body"
    photo = await bot.send_photo(8, b"\x89PNG fake", caption="<i>cap</i>", parse_mode="HTML")
    assert photo.caption == "cap"
    assert fake.calls("sendPhoto")[0]["photo"] == b"\x89PNG fake"
