"""The Platform port over the fake Bot API: parts, edits, deletes and the neutral errors."""

from __future__ import annotations

import os
import warnings
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from telegram import Bot
from telegram.error import RetryAfter
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from adapters.telegram.config import TelegramConfig
from adapters.telegram.platform import TelegramPlatform, retry_seconds
from adapters.telegram.transport import AiohttpRequest
from bot.domain import ChatKind
from bot.ports import (
    BadMessage,
    MessageKind,
    MessageTooOld,
    OutboundMessage,
    RetryLater,
    Target,
    TargetGone,
    TargetMoved,
    Transient,
)
from tests.fakes.telegram_api import FakeTelegram

USER = Target("42", ChatKind.PRIVATE)
GROUP = Target("-500", ChatKind.GROUP)
SHORT = OutboundMessage(MessageKind.ANNOUNCEMENT, "Title <1>", "Body & more", ("Friends of Korea",))
LONG = OutboundMessage(
    MessageKind.ANNOUNCEMENT, "Long", "\n\n".join("Paragraph. " * 60 for _ in range(14))
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def platform(fake: FakeTelegram) -> AsyncIterator[TelegramPlatform]:
    request = AiohttpRequest(read_timeout=0.5)
    async with Bot(fake.token, base_url=fake.base_url, request=request) as bot:
        yield TelegramPlatform(bot, TelegramConfig(token=fake.token))


async def test_limits_and_name(platform: TelegramPlatform) -> None:
    assert platform.name == "telegram"
    limits = platform.limits
    assert (limits.text_length, limits.caption_length) == (4096, 1024)
    assert (limits.messages_per_second, limits.private_chat_interval) == (30, 1.0)
    assert (limits.group_per_minute, limits.delete_window_seconds) == (20, 48 * 3600)
    paid = TelegramPlatform(platform._bot, TelegramConfig(token="t", paid_broadcast=True))
    assert paid.limits.messages_per_second == 1000


async def test_send_short_message(fake: FakeTelegram, platform: TelegramPlatform) -> None:
    ids = await platform.send(USER, SHORT, key="d1")
    assert ids == ["1"]
    (message,) = fake.sent_to(42)
    assert message.text == "Title <1>\n\nBody & more\n\n#Friends_of_Korea"
    assert message.parse_mode == "HTML"
    assert message.options["link_preview_options"] == {"is_disabled": True}
    assert "allow_paid_broadcast" not in message.options


async def test_long_message_in_parts_then_edited_shorter_and_longer(
    fake: FakeTelegram, platform: TelegramPlatform
) -> None:
    ids = await platform.send(GROUP, LONG, key="d2")
    assert ids == ["1", "2", "3"]
    assert [m.text[-5:] for m in fake.sent_to(-500)] == ["(1/3)", "(2/3)", "(3/3)"]
    new_ids = await platform.edit(GROUP, ids, SHORT)
    assert new_ids == ["1"]
    assert [m.message_id for m in fake.sent_to(-500)] == [1]
    assert fake.sent_to(-500)[0].text.startswith("Title <1>")
    assert await platform.edit(GROUP, new_ids, SHORT) == ["1"]  # not modified is fine
    grown = await platform.edit(GROUP, new_ids, LONG)
    assert grown == ["1", "4", "5"]
    await platform.delete(GROUP, grown)
    assert fake.sent_to(-500) == []
    await platform.delete(GROUP, grown)  # already gone counts as deleted


async def test_old_messages_cannot_be_deleted(
    fake: FakeTelegram, platform: TelegramPlatform
) -> None:
    ids = await platform.send(USER, SHORT, key="d3")
    fake.age_message(42, int(ids[0]), 49 * 3600)
    with pytest.raises(MessageTooOld):
        await platform.delete(USER, ids)


async def test_errors_mapped(fake: FakeTelegram, platform: TelegramPlatform) -> None:
    fake.fail("sendMessage", "retry_after", retry_after=7)
    with pytest.raises(RetryLater) as retry:
        await platform.send(USER, SHORT, key="k")
    assert retry.value.seconds == 7
    fake.migrate(-500, -100500, service_message=False)
    with pytest.raises(TargetMoved) as moved:
        await platform.send(GROUP, SHORT, key="k")
    assert moved.value.new_external_id == "-100500"
    fake.block(43)
    with pytest.raises(TargetGone):
        await platform.send(Target("43", ChatKind.PRIVATE), SHORT, key="k")
    fake.fail("sendMessage", "bad_request", description="Bad Request: chat not found")
    with pytest.raises(TargetGone):
        await platform.send(USER, SHORT, key="k")
    fake.fail("sendMessage", "bad_request", description="Bad Request: wrong something")
    with pytest.raises(BadMessage):
        await platform.send(USER, SHORT, key="k")
    fake.fail("sendMessage", "server_error", status=500)
    with pytest.raises(Transient):
        await platform.send(USER, SHORT, key="k")
    fake.fail("sendMessage", "hang")
    with pytest.raises(Transient):
        await platform.send(USER, SHORT, key="k")
    with pytest.raises(BadMessage):
        await platform.send(USER, OutboundMessage(MessageKind.ANNOUNCEMENT, " ", ""), key="k")


def test_retry_delay_read_as_timedelta_or_as_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert retry_seconds(RetryAfter(timedelta(seconds=2.5))) == 2.5
        assert retry_seconds(RetryAfter(7)) == 7.0
    # An operator who keeps PTB's old int periods gets the same seconds (and PTB's warning).
    monkeypatch.setenv("PTB_TIMEDELTA", "false")
    with pytest.warns(PTBDeprecationWarning):
        assert retry_seconds(RetryAfter(7)) == 7.0


async def test_platform_opts_in_to_timedelta_periods_unless_chosen(
    monkeypatch: pytest.MonkeyPatch, platform: TelegramPlatform
) -> None:
    monkeypatch.delenv("PTB_TIMEDELTA", raising=False)
    TelegramPlatform(platform._bot, TelegramConfig(token="t"))
    assert os.environ["PTB_TIMEDELTA"] == "true"
    monkeypatch.setenv("PTB_TIMEDELTA", "0")
    TelegramPlatform(platform._bot, TelegramConfig(token="t"))
    assert os.environ["PTB_TIMEDELTA"] == "0"


def test_platform_needs_the_aiohttp_transport() -> None:
    bot = Bot("1:x", request=HTTPXRequest())
    with pytest.raises(TypeError, match="AiohttpRequest"):
        TelegramPlatform(bot, TelegramConfig(token="1:x"))


async def test_failure_midway_undoes_sent_parts(
    fake: FakeTelegram, platform: TelegramPlatform
) -> None:
    fake.fail("sendMessage", "retry_after", retry_after=2, after=1)
    with pytest.raises(RetryLater):
        await platform.send(USER, LONG, key="k")
    assert fake.sent_to(42) == []
    assert len(fake.sent_to(42, include_deleted=True)) == 1


async def test_paid_broadcast_flag_and_channel_username(fake: FakeTelegram) -> None:
    fake.add_chat(-1001, "channel", username="society")
    request = AiohttpRequest(read_timeout=0.5)
    async with Bot(fake.token, base_url=fake.base_url, request=request) as bot:
        platform = TelegramPlatform(bot, TelegramConfig(token=fake.token, paid_broadcast=True))
        await platform.send(Target("@society", ChatKind.CHANNEL), SHORT, key="k")
    (message,) = fake.sent_to(-1001)
    assert message.options["allow_paid_broadcast"] is True
