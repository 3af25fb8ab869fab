"""The society's website to every chat: a loopback site, the feed service, the delivery engine,
python-telegram-bot against the fake Bot API and discord.py against the fake Discord."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route
from telegram import Bot

from adapters.discord.adapter import DiscordAdapter
from adapters.feeds.fetch import HttpFetcher
from adapters.telegram.config import TelegramConfig
from adapters.telegram.platform import TelegramPlatform
from adapters.telegram.transport import AiohttpRequest
from bot.app import feed_parser
from bot.delivery import DeliveryConfig, DeliveryEngine
from bot.feeds.notices import PlatformNotices
from bot.feeds.service import FeedService
from bot.feeds.sources import SourceKind, SourceMode
from bot.ports import ManualClock, Platform
from storage.outbox import SqlOutbox
from storage.repository import Repository
from tests.conftest import SAMPLES
from tests.delivery.support import add_chats
from tests.discord.conftest import RecordingCore, config_for
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.discord_payloads import FakeChannel
from tests.fakes.telegram_api import FakeTelegram
from tests.feeds.simple_parser import SimpleParser
from tests.feeds.site import Page, Site, rss
from tests.feeds.support import feed_service
from tests.images import png

TELEGRAM_CHATS = [5001, 5002, 5003]
PICNIC = ("urn:2", "Summer picnic", "<p>In the park.</p>")
MEETING = ("urn:1", "Spring meeting", "<p>Room 101.</p>")
NOON = ("urn:2", "Summer picnic", "<p>In the park, at noon.</p>")


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite (the PostgreSQL replicas have their own test)."""
    return f"sqlite+aiosqlite:///{tmp_path / 'herald.db'}"


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """A fake Discord with one guild (#general text, #news announcement)."""
    server = FakeDiscord()
    server.add_guild("Society")
    await server.start()
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
def seams() -> Iterator[None]:
    old = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    try:
        yield
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old


@pytest.fixture
async def platforms(
    telegram: FakeTelegram, fake: FakeDiscord, seams: None
) -> AsyncIterator[dict[str, Platform]]:
    """Telegram (python-telegram-bot) and Discord (discord.py, send-only) on the fakes."""
    discord = DiscordAdapter(RecordingCore(), config_for(fake), state=RecordingCore().state)
    await discord.start_sending()
    request = AiohttpRequest(connection_pool_size=16)
    async with Bot(telegram.token, base_url=telegram.base_url, request=request) as bot:
        try:
            yield {
                "telegram": TelegramPlatform(bot, TelegramConfig(token=telegram.token)),
                "discord": discord,
            }
        finally:
            await discord.stop()


async def _add_every_chat(
    repo: Repository, clock: ManualClock, fake: FakeDiscord
) -> list[FakeChannel]:
    """Record the Telegram chats and the fake Discord's guild channels; the channels."""
    channels = [c for g in fake.guilds.values() for c in g.channels]
    await add_chats(repo.sessions, clock.now(), [str(c) for c in TELEGRAM_CHATS])
    await add_chats(
        repo.sessions, clock.now(), [str(c.id) for c in channels],
        platform="discord", kind="guild_channel",
    )  # fmt: skip
    return channels


def _unpaced_engine(
    repo: Repository, clock: ManualClock, platforms: dict[str, Platform]
) -> DeliveryEngine:
    """A delivery engine without rate limits that looks for rows every 50 ms."""
    return DeliveryEngine(
        SqlOutbox(repo.sessions), platforms, clock,
        DeliveryConfig(
            rates={"telegram": math.inf, "discord": math.inf}, poll_interval=0.05,
            flush_interval=0.01,
        ),
    )  # fmt: skip


async def test_a_new_entry_reaches_every_chat_and_its_edit_edits_every_copy(
    repo: Repository,
    clock: ManualClock,
    site: Site,
    fetcher: HttpFetcher,
    telegram: FakeTelegram,
    fake: FakeDiscord,
    platforms: dict[str, Platform],
) -> None:
    channels = await _add_every_chat(repo, clock, fake)
    engine = _unpaced_engine(repo, clock, platforms)
    feeds = feed_service(repo, fetcher, clock)
    site.pages["/rss"] = Page(rss(MEETING))
    source = (await feeds.add(site.url("/rss"), actor="cli:admin")).source

    site.pages["/rss"] = Page(rss(PICNIC, MEETING))
    (created,) = (await feeds.poll(source.id)).created
    await engine.run_until_idle(timeout=20)
    for chat in TELEGRAM_CHATS:
        (message,) = telegram.sent_to(chat)
        assert message.text.startswith("Summer picnic")
        assert "In the park." in message.text
    for channel in channels:
        (posted,) = fake.channel_messages(channel.id)
        assert posted.embeds[0]["title"].startswith("Summer picnic")

    site.pages["/rss"] = Page(rss(NOON, MEETING))
    assert (await feeds.poll(source.id)).edited == [created]
    await engine.run_until_idle(timeout=20)
    for chat in TELEGRAM_CHATS:
        (message,) = telegram.sent_to(chat)
        assert len(message.edits) == 1
        assert "In the park, at noon." in message.text
    for channel in channels:
        (posted,) = fake.channel_messages(channel.id)
        assert posted.edits == 1
        assert posted.embeds[0]["description"].startswith("In the park, at noon.")
    # A restart (a new service, a new fetcher, the same database) sends nothing again.
    again = feed_service(repo, HttpFetcher("Herald/test"), clock)
    site.pages["/rss"] = Page(rss(NOON, MEETING), etag=False)
    report = await again.poll(source.id)
    assert report.created == []
    await engine.run_until_idle(timeout=20)
    assert [len(telegram.sent_to(c)) for c in TELEGRAM_CHATS] == [1, 1, 1]
    assert [len(fake.channel_messages(c.id)) for c in channels] == [1, 1]


async def test_the_real_parsers_read_a_windows_1251_feed_and_a_news_page_like_the_sample(
    repo: Repository,
    clock: ManualClock,
    site: Site,
    fetcher: HttpFetcher,
    telegram: FakeTelegram,
    fake: FakeDiscord,
    platforms: dict[str, Platform],
) -> None:
    await add_chats(repo.sessions, clock.now(), [str(c) for c in TELEGRAM_CHATS])
    engine = _unpaced_engine(repo, clock, platforms)
    feeds = feed_service(repo, fetcher, clock, parser=feed_parser())
    old = ("ru:1", "Собрание общества", "<p>В пятницу.</p>")
    new = ("ru:2", "Лекция о дружбе", "<p><b>Зал №3</b>, вход свободный.</p>")
    site.pages["/rss"] = Page(rss(old, encoding="windows-1251"), content_type="text/xml")
    source = (await feeds.add(site.url("/rss"), actor="cli:admin")).source
    site.pages["/rss"] = Page(rss(new, old, encoding="windows-1251"), content_type="text/xml")
    (lecture,) = (await feeds.poll(source.id)).created

    html = "text/html; charset=utf-8"
    sample = (SAMPLES / "society-post.html").read_text(encoding="utf-8")
    canonical = "https://krfs.ucoz.net/news/congratulations_to_the_dprk_isg/2020-08-15-412"
    site.pages["/news/"] = Page(
        b'<html><body><div class="eTitle"><a href="/news/old-1">Old</a></div></body></html>',
        content_type=html,
    )
    news = (await feeds.add(site.url("/news/"), actor="cli:admin")).source
    assert news.kind is SourceKind.HTML
    site.pages["/news/2020-08-15-412"] = Page(
        sample.replace(canonical, site.url("/news/2020-08-15-412")).encode(), content_type=html
    )
    site.pages["/news/"] = Page(
        b'<html><body><div class="eTitle"><a href="/news/2020-08-15-412">New</a></div>'
        b'<div class="eTitle"><a href="/news/old-1">Old</a></div></body></html>',
        content_type=html,
    )
    (congratulations,) = (await feeds.poll(news.id)).created
    item = await repo.announcements.get(congratulations)
    assert item is not None
    assert item.title.startswith("Congratulations from the Korean-Russian Friendship Society")
    assert item.category == "English"
    assert "DPRK ISG" in item.tags
    await engine.run_until_idle(timeout=20)
    for chat in TELEGRAM_CHATS:
        texts = [m.text for m in telegram.sent_to(chat)]
        assert any(t.startswith("Лекция о дружбе") and "Зал №3" in t for t in texts)
        assert any(t.startswith("Congratulations from the Korean-Russian") for t in texts)
    lecture_item = await repo.announcements.get(lecture)
    assert lecture_item is not None
    assert lecture_item.body_styles


async def test_a_draft_entry_reaches_admins_privately_with_a_publish_button(
    repo: Repository,
    clock: ManualClock,
    site: Site,
    fetcher: HttpFetcher,
    telegram: FakeTelegram,
    fake: FakeDiscord,
    platforms: dict[str, Platform],
) -> None:
    member = next(iter(fake.guilds.values())).members[0]

    async def admins() -> list[str]:
        return ["telegram:5001", f"discord:{member.id}"]

    feeds = FeedService(
        repo.feeds, fetcher, SimpleParser(), clock,
        notices=PlatformNotices(lambda: platforms, admins, "en"), jitter=lambda _s: 0.0,
    )  # fmt: skip
    site.pages["/rss"] = Page(rss(MEETING))
    added = await feeds.add(site.url("/rss"), actor="cli:admin", mode=SourceMode.DRAFT)
    site.pages["/rss"] = Page(rss(PICNIC, MEETING))
    (draft,) = (await feeds.poll(added.source.id)).created
    (notice,) = telegram.sent_to(5001)
    assert notice.text.startswith("New draft from the website: Summer picnic")
    assert notice.buttons == [[{"text": "Publish", "callback_data": f"/publish {draft}"}]]
    (dm,) = fake.channel_messages(fake.dm_channel(member).id)
    (row,) = dm.components
    assert [(b["label"], b["custom_id"]) for b in row["components"]] == [
        ("Publish", f"/publish {draft}")
    ]


def _society(signature: str, category: str, image: str) -> str:
    return (
        "<p>Room 101 at 18:00.</p>"
        f'<p><img src="{image}" width="40" height="30"></p>'
        f"<p>{signature}</p>"
        f"<p>Category: {category} | Views: 3 | Added by: redstar | Tags: Korea</p>"
    )


async def test_an_edit_carries_the_metadata_line_and_the_photo_to_every_copy(
    repo: Repository,
    clock: ManualClock,
    site: Site,
    fetcher: HttpFetcher,
    telegram: FakeTelegram,
    fake: FakeDiscord,
    platforms: dict[str, Platform],
) -> None:
    channels = await _add_every_chat(repo, clock, fake)
    engine = _unpaced_engine(repo, clock, platforms)
    first, second = png(40, 30), png(30, 40)
    site.pages["/first.png"] = Page(first, content_type="image/png")
    site.pages["/second.png"] = Page(second, content_type="image/png")
    feeds = feed_service(repo, fetcher, clock, parser=feed_parser())
    site.pages["/rss"] = Page(rss(MEETING))
    source = (await feeds.add(site.url("/rss"), actor="cli:admin")).source
    entry = ("urn:5", "Concert", _society("The Society", "English", site.url("/first.png")))
    site.pages["/rss"] = Page(rss(entry, MEETING))
    (created,) = (await feeds.poll(source.id)).created
    item = await repo.announcements.get(created)
    assert item is not None
    assert (item.category, item.signature, item.has_photo) == ("English", "The Society", True)
    await engine.run_until_idle(timeout=20)

    changed = ("urn:5", "Concert", _society("The Board", "Русский", site.url("/second.png")))
    site.pages["/rss"] = Page(rss(changed, MEETING))
    assert (await feeds.poll(source.id)).edited == [created]
    item = await repo.announcements.get(created)
    assert item is not None
    assert (item.category, item.signature) == ("Русский", "The Board")
    photo = await repo.announcements.photo(created)
    assert photo is not None
    assert photo.data == second
    await engine.run_until_idle(timeout=20)
    for chat in TELEGRAM_CHATS:
        (message,) = telegram.sent_to(chat)
        assert message.kind == "photo"
        assert telegram.files.files[message.file_id or ""].data == second
        assert message.text.rstrip().endswith("The Board\n\n#Korea")
    for channel in channels:
        (posted,) = fake.channel_messages(channel.id)
        (attachment,) = posted.attachments
        assert (attachment["filename"], attachment["size"]) == ("second.png", len(second))
        assert posted.embeds[0]["image"]["url"] == "attachment://second.png"
        assert "The Board" in posted.text()
