"""Tags reach Telegram as whole hashtags: through the fake Bot API, as Telegram links them."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from adapters.telegram.config import TelegramConfig
from adapters.telegram.platform import TelegramPlatform
from adapters.telegram.render import render_reply
from adapters.telegram.transport import AiohttpRequest
from bot.domain import ChatKind
from bot.ports import MessageKind, OutboundMessage, Target
from bot.render import hashtag as reply_hashtag
from bot.replies import ReplyBuilder
from tests.fakes.telegram_api import FakeTelegram

TAGS = ("DPRK-Russia relations", "Дружба народов", "한국 친구", "Friends of Korea", "C++ & Go")
WHOLE = [
    "#DPRK_Russia_relations", "#Дружба_народов", "#한국_친구", "#Friends_of_Korea", "#C_Go",
]  # fmt: skip


def linked_hashtags(text: str) -> list[str]:
    """The hashtags Telegram links (TDLib: `#` then letters, decimal digits, `_`, ZWNJ)."""

    def letter(c: str) -> bool:
        category = unicodedata.category(c)
        return c in "_\u200c" or category[0] == "L" or category == "Nd"

    found = []
    for match in re.finditer("#", text):
        end = match.end()
        while end < len(text) and letter(text[end]):
            end += 1
        if end > match.end():
            found.append(text[match.start() : end])
    return found


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


async def test_a_broadcast_carries_each_tag_as_one_linked_hashtag(fake: FakeTelegram) -> None:
    request = AiohttpRequest(read_timeout=0.5)
    async with Bot(fake.token, base_url=fake.base_url, request=request) as bot:
        platform = TelegramPlatform(bot, TelegramConfig(token=fake.token))
        message = OutboundMessage(MessageKind.ANNOUNCEMENT, "Title", "Body", TAGS)
        await platform.send(Target("42", ChatKind.PRIVATE), message, key="d1")
    sent = await fake.next_message(42)
    last = sent.text.rsplit("\n", 1)[-1]
    assert last.split() == WHOLE
    assert linked_hashtags(sent.text) == WHOLE


def test_a_reply_uses_the_same_rule() -> None:
    reply = ReplyBuilder().text(" ".join(reply_hashtag(tag) for tag in TAGS)).build()
    [html] = render_reply(reply)
    assert html.split() == [tag.replace("&", "&amp;") for tag in WHOLE]
    assert linked_hashtags(html) == WHOLE
