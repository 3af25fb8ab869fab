"""Admins hear about feeds privately, on their own platform, in the society's language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain import Announcement, PublishResult, Status
from bot.feeds.notices import PlatformNotices
from bot.feeds.sources import FeedSource, SourceKind, SourceMode
from bot.ports import ManualClock, Platform, TargetGone
from bot.replies import Button
from tests.delivery.support import RecordingPlatform

SOURCE = FeedSource(3, "https://society.example/rss", SourceKind.FEED, SourceMode.DRAFT,
                    timedelta(minutes=15))  # fmt: skip
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


async def test_failing_recovered_and_draft_notices_reach_each_admin_privately() -> None:
    telegram = RecordingPlatform(ManualClock(NOW))
    discord = RecordingPlatform(ManualClock(NOW), name="discord")
    platforms: dict[str, Platform] = {"telegram": telegram, "discord": discord}
    telegram.script("13", TargetGone("blocked"))

    async def admins() -> list[str]:
        return ["telegram:11", "discord:12", "telegram:13", "console:me", "telegram:11"]

    notices = PlatformNotices(lambda: platforms, admins, "ru")
    await notices.failing(SOURCE, 3, "HTTP 500")
    await notices.recovered(SOURCE, 4)
    draft = Announcement(42, "Лекция", "Текст", Status.DRAFT, 1, NOW, NOW)
    await notices.draft(SOURCE, PublishResult(draft, 0))
    assert [s.message.title for s in telegram.received("11")] == [
        "Источник ленты не отвечает",
        "Источник ленты снова работает",
        "Новый черновик с сайта: Лекция",
    ]
    failing, _, drafted = (s.message.body for s in telegram.received("11"))
    assert failing.startswith("Лента #3 (https://society.example/rss) не ответила 3 раза подряд")
    assert "/publish 42" in drafted
    assert telegram.received("11")[2].message.actions == (Button("Опубликовать", "/publish 42"),)
    assert telegram.received("11")[0].message.actions == ()
    assert len(discord.received("12")) == 3
    # Admin 13 blocked the bot for the first notice (logged); the console has no private chat;
    # a listed-twice admin hears once.
    assert telegram.send_counts() == {"11": 3, "13": 2}
