"""Read on the website: a button on Telegram deliveries and /show, a link in the Discord embed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from adapters.discord.render import render_message as discord_message
from adapters.telegram.config import TelegramConfig
from adapters.telegram.platform import TelegramPlatform
from adapters.telegram.render import keyboard
from adapters.telegram.transport import AiohttpRequest
from bot.domain import ChatKind
from bot.formatting import Photo
from bot.ports import MessageKind, OutboundMessage, Target
from bot.replies import Button, ReplyBuilder
from tests.fakes.telegram_api import FakeTelegram
from tests.images import png

USER = Target("42", ChatKind.PRIVATE)
URL = "https://society.example/announcements/7"
LINKED = OutboundMessage(
    MessageKind.ANNOUNCEMENT, "Title", "Body", announcement_id=7,
    link_url=URL, link_label="Read on the website",
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


def _button(markup: dict[str, object] | None) -> object:
    rows = (markup or {}).get("inline_keyboard")
    return rows[0][0] if isinstance(rows, list) and rows else None


async def test_telegram_delivery_carries_the_button_and_keeps_it_on_edit(
    fake: FakeTelegram, platform: TelegramPlatform
) -> None:
    ids = await platform.send(USER, LINKED, key="k1")
    (sent,) = fake.sent_to(42)
    assert _button(sent.reply_markup) == {"text": "Read on the website", "url": URL}
    edited = OutboundMessage(
        MessageKind.ANNOUNCEMENT, "Title", "Edited body", announcement_id=7,
        link_url=URL, link_label="Read on the website",
    )
    await platform.edit(USER, ids, edited)
    (shown,) = fake.sent_to(42)
    assert "Edited body" in shown.text
    assert _button(shown.reply_markup) == {"text": "Read on the website", "url": URL}


async def test_telegram_photo_delivery_carries_the_button(
    fake: FakeTelegram, platform: TelegramPlatform
) -> None:
    message = OutboundMessage(
        MessageKind.ANNOUNCEMENT, "Title", "Body", announcement_id=7,
        photo=Photo(png(), "image/png"), link_url=URL, link_label="Читать на сайте",
    )
    await platform.send(USER, message, key="k2")
    (sent,) = fake.sent_to(42)
    assert _button(sent.reply_markup) == {"text": "Читать на сайте", "url": URL}


async def test_without_a_public_url_there_is_no_button(
    fake: FakeTelegram, platform: TelegramPlatform
) -> None:
    await platform.send(USER, OutboundMessage(MessageKind.ANNOUNCEMENT, "T", "B"), key="k3")
    (sent,) = fake.sent_to(42)
    assert _button(sent.reply_markup) is None


def test_discord_embed_title_links_to_the_page() -> None:
    (part,) = discord_message(LINKED)
    assert part.embeds[0].url == URL
    (plain,) = discord_message(OutboundMessage(MessageKind.ANNOUNCEMENT, "T", "B"))
    assert plain.embeds[0].url is None


def test_url_buttons_render_as_links() -> None:
    reply = ReplyBuilder().text("x").buttons(Button("Read on the website", "", url=URL)).build()
    markup = keyboard(reply)
    assert markup is not None
    assert markup.inline_keyboard[0][0].url == URL
    assert markup.inline_keyboard[0][0].callback_data is None
    unsafe = ReplyBuilder().text("x").buttons(Button("x", "", url="javascript:alert(1)")).build()
    assert unsafe.buttons == ()
