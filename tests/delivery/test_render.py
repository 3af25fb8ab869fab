"""Rendering a claimed row into the neutral message, and per-chat spacing by chat kind."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import DeliveryConfig, DeliveryEngine, render, retraction
from bot.delivery.render import MessageCache, chat_interval, target_of
from bot.domain import ChatKind, DeliveryAction
from bot.ports import ManualClock, MessageKind
from bot.ports.outbox import Claimed, Content
from storage.outbox import SqlOutbox
from tests.delivery.support import TELEGRAM_LIMITS, RecordingPlatform, add_chats, publish

WHEN = datetime(2026, 8, 14, 12, tzinfo=UTC)


def claimed(content: Content, *, kind: str = "private", language: str | None = None) -> Claimed:
    return Claimed(
        id=7, chat_id=3, platform="telegram", external_id="42", chat_kind=kind,
        chat_language=language, chat_active=True, action=DeliveryAction.SEND, revision=1,
        attempts=1, announcement_id=9, occurrence_id=None, content=content,
    )


def test_announcement_and_anniversary_messages() -> None:
    post = Content("Meeting", "Room 1", "announcement", "published", 2, ("Events",), "Board",
                   "News", WHEN)
    message = render(claimed(post, language="ko"), post)
    assert (message.kind, message.title, message.body) == (MessageKind.ANNOUNCEMENT, "Meeting",
                                                           "Room 1")
    assert (message.tags, message.signature, message.category) == (("Events",), "Board", "News")
    assert (message.announcement_id, message.published_at, message.language) == (9, WHEN, "ko")
    day = Content("Founded", "100 years", "day")
    assert render(claimed(day), day).kind is MessageKind.ANNIVERSARY
    assert render(claimed(day), day).language == "en"
    soon = Content("In a week", "Founding day", "before:7")
    assert render(claimed(soon), soon).kind is MessageKind.REMINDER
    notice = retraction(claimed(post, language="ru"), lambda lang: f"withdrawn ({lang})")
    assert (notice.kind, notice.body, notice.language) == (MessageKind.RETRACTION,
                                                           "withdrawn (ru)", "ru")


def test_message_cache_renders_once_per_content_and_language() -> None:
    cache = MessageCache()
    post = Content("Meeting", "Room 1", "announcement", "published", 1)
    first = cache.get(claimed(post), post)
    assert cache.get(claimed(post), post) is first
    assert first == render(claimed(post), post)
    korean = cache.get(claimed(post, language="ko"), post)
    assert korean.language == "ko"
    assert korean is not first
    edited = Content("Meeting (room 7)", "Room 7", "announcement", "published", 2)
    assert cache.get(claimed(edited), edited).title == "Meeting (room 7)"
    equal_but_new = Content("Meeting", "Room 1", "announcement", "published", 1)
    assert cache.get(claimed(equal_but_new), equal_but_new) == first


def test_targets_and_spacing() -> None:
    post = Content("t", "b", "announcement")
    assert target_of(claimed(post, kind="channel")).kind is ChatKind.CHANNEL
    assert target_of(claimed(post, kind="something new")).kind is ChatKind.PRIVATE
    assert chat_interval(TELEGRAM_LIMITS, ChatKind.PRIVATE) == 1.0
    assert chat_interval(TELEGRAM_LIMITS, ChatKind.GROUP) == 3.0
    assert chat_interval(TELEGRAM_LIMITS, ChatKind.CHANNEL) == 3.0
    assert chat_interval(TELEGRAM_LIMITS, ChatKind.CONSOLE) == 0.0


async def test_rate_share_splits_the_platform_rate(
    sessions: async_sessionmaker[AsyncSession], clock: ManualClock, platform: RecordingPlatform
) -> None:
    chats = [str(i) for i in range(16)]
    await add_chats(sessions, clock.now(), chats)
    await publish(sessions, clock.now())
    # Telegram's 30/s shared by two processes: this one sends 15/s, 16 messages in a second.
    config = DeliveryConfig(rate_share=0.5, rate_safety=1.0, poll_interval=0.05)
    engine = DeliveryEngine(SqlOutbox(sessions), {"telegram": platform}, clock, config)
    started = time.monotonic()
    await engine.run_until_idle(timeout=10)
    assert time.monotonic() - started >= 0.95
    assert platform.send_counts() == dict.fromkeys(chats, 1)


def test_chats_without_a_language_read_the_societys() -> None:
    post = Content("Meeting", "Room 1", "announcement", "published", 1)
    assert render(claimed(post), post, "ru").language == "ru"
    assert render(claimed(post, language="ko"), post, "ru").language == "ko"
    assert MessageCache(default_language="ko").get(claimed(post), post).language == "ko"
    notice = retraction(claimed(post), lambda lang: f"withdrawn ({lang})", "ru")
    assert notice.body == "withdrawn (ru)"


async def test_the_engine_sends_in_the_configured_society_language(
    sessions: async_sessionmaker[AsyncSession], clock: ManualClock, platform: RecordingPlatform
) -> None:
    await add_chats(sessions, clock.now(), ["1"])
    await publish(sessions, clock.now())
    config = DeliveryConfig(language="ru", pace_chats=False)
    engine = DeliveryEngine(SqlOutbox(sessions), {"telegram": platform}, clock, config)
    await engine.run_until_idle(timeout=10)
    assert [sent.message.language for sent in platform.received("1")] == ["ru"]
