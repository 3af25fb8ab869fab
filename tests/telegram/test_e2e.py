"""End to end: Herald's real core on SQLite with the real PTB over HTTP to the fake Bot API."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.telegram.render import utf16_len
from tests.telegram.world import ADMIN, World, running_world

POST = "/post Liberation Day\nWe remember August 15, 1945 <with> & joy.\nTags: Korea"


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with running_world(tmp_path) as running:
        yield running


async def test_subscribe_by_tag_and_admin_post_reaches_only_matching(world: World) -> None:
    assert "Subscribed" in (await world.say(10, "/subscribe Korea")).text
    assert "Subscribed" in (await world.say(11, "/subscribe Music")).text
    answer = await world.say(ADMIN, POST)
    assert "published; it goes to 1 chat." in answer.text
    await world.settle()
    received = await world.fake.next_message(10)
    assert received.text.startswith("Liberation Day\n\nWe remember August 15, 1945 <with> & joy.")
    assert received.text.endswith("#Korea")
    assert received.entities[0] == {"type": "bold", "offset": 0, "length": 14}
    assert len(world.fake.sent_to(11)) == 1  # only the answer to /subscribe


async def test_tag_query_pages_with_buttons_edited_in_place(world: World) -> None:
    for n in range(7):
        await world.say(ADMIN, f"/post Title {n}\nBody {n}\nTags: Friends of Korea")
    page = await world.say(20, "/tag friends OF korea")
    assert "#Friends_of_Korea" in page.text
    (button,) = [b for row in page.buttons for b in row]
    world.fake.press(20, page.message_id, button["callback_data"], user_id=20)
    await world.fake.wait_until(lambda: "Page 2 of 2" in page.text)
    assert len(world.fake.answered_callbacks) == 1
    assert [m.message_id for m in world.fake.sent_to(20)] == [page.message_id]
    back = [b["callback_data"] for row in page.buttons for b in row]
    assert back == ["/tag Friends of Korea 1"]


ADMIN_COMMANDS = [
    "/post T\nB",
    "/draft T\nB",
    "/publish 1",
    "/schedule 1 2030-01-01 09:00",
    "/edit 1 T\nB",
    "/delete 1",
    "/anniversary add 1945-08-15 Liberation",
    "/stats",
    "/admin add telegram:5",
]


async def test_non_admin_refused_every_admin_command_and_button(world: World) -> None:
    await world.say(ADMIN, "/post Kept\nText")
    for line in ADMIN_COMMANDS:
        answer = await world.say(999, line)
        assert "Only" in answer.text, line
    # Another member for the button: 999 has just spent most of a member's command burst.
    fake_button = await world.say(998, "/tag nothing-here")
    world.fake.press(998, fake_button.message_id, "/delete 1", user_id=998)
    await world.fake.wait_until(lambda: len(world.fake.answered_callbacks) == 1)
    assert world.fake.answered_callbacks[0]["show_alert"] is True
    assert "Only" in world.fake.answered_callbacks[0]["text"]
    assert await world.scalar("SELECT count(*) FROM announcements") == 1
    assert await world.scalar("SELECT status FROM announcements") == "published"
    assert await world.scalar("SELECT count(*) FROM anniversaries") == 0
    assert await world.scalar("SELECT count(*) FROM admins") == 0


async def test_9000_character_post_is_split_in_numbered_parts(world: World) -> None:
    await world.say(10, "/subscribe")
    body = "\n\n".join(f"Paragraph {i}: " + "friendship and peace " * 20 for i in range(21))
    assert len(body) > 9000
    await world.say(ADMIN, f"/post A very long letter\n{body}\nTags: Letters")
    await world.settle()
    parts = [await world.fake.next_message(10) for _ in range(3)]
    assert [p.text[-5:] for p in parts] == ["(1/3)", "(2/3)", "(3/3)"]
    assert all(utf16_len(p.text) <= 4096 for p in parts)
    assert parts[0].text.startswith("A very long letter\n\nParagraph 0:")
    assert parts[2].text.endswith("#Letters\n\n(3/3)")
    stored = await world.scalar("SELECT message_ids FROM message_copies")
    for part in parts:
        assert str(part.message_id) in stored


async def test_edit_and_delete_reach_the_sent_copies(world: World) -> None:
    await world.say(10, "/subscribe")
    await world.say(ADMIN, POST)
    await world.settle()
    copy = await world.fake.next_message(10)
    assert "Announcement #1 edited" in (
        await world.say(ADMIN, "/edit 1 Liberation Day (corrected)\nNew text.")
    ).text
    await world.settle()
    assert copy.text.startswith("Liberation Day (corrected)\n\nNew text.")
    assert "retracted" in (await world.say(ADMIN, "/delete 1")).text
    await world.settle()
    assert copy.deleted


async def test_blocked_users_are_deactivated_and_others_still_served(world: World) -> None:
    for chat in (10, 12, 13):
        await world.say(chat, "/subscribe")
    world.fake.member_update(12, "kicked", old_status="member")  # blocked, and Telegram says so

    async def twelve_inactive() -> bool:
        return await world.chat(12) == (False, "blocked by the user")

    await world.core.until(twelve_inactive)
    world.fake.block(13)  # blocked, but we only learn it when sending
    assert "goes to 2 chats" in (await world.say(ADMIN, POST)).text
    await world.settle()
    assert (await world.fake.next_message(10)).text.startswith("Liberation Day")
    assert len(world.fake.sent_to(12)) == 1
    chat13 = await world.chat(13)
    assert chat13 is not None
    assert chat13[0] is False
    assert await world.chat(10) == (True, None)
    world.fake.blocked.discard(12)
    world.fake.member_update(12, "member", old_status="kicked")  # unblocked: back again

    async def twelve_back() -> bool:
        return await world.chat(12) == (True, None)

    await world.core.until(twelve_back)
    assert "everything" in (await world.say(12, "/subscriptions")).text  # settings were kept


async def test_migrated_groups_keep_their_subscriptions(world: World) -> None:
    for group in (-300, -400):
        world.fake.set_admins(group, 5)
        answer = await world.say(group, "/subscribe Korea", user_id=5, kind="group")
        assert "Subscribed" in answer.text
    world.fake.migrate(-300, -100300)  # the service message arrives first

    async def rewritten() -> bool:
        return await world.chat(-100300) is not None

    await world.core.until(rewritten)
    world.fake.migrate(-400, -100400, service_message=False)  # learnt from a 400 on send
    await world.say(ADMIN, POST)
    await world.settle()
    assert (await world.fake.next_message(-100300)).text.startswith("Liberation Day")
    assert (await world.fake.next_message(-100400)).text.startswith("Liberation Day")
    assert await world.chat(-300) is None
    assert await world.chat(-400) is None


async def test_channel_becomes_a_target_by_channel_post(world: World) -> None:
    world.fake.member_update(-1005, "administrator", kind="channel", title="Society channel")
    world.fake.channel_post(-1005, "/subscribe Korea")
    assert "Subscribed" in (await world.fake.next_message(-1005)).text
    await world.say(ADMIN, POST)
    await world.settle()
    assert (await world.fake.next_message(-1005)).text.startswith("Liberation Day")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_webhook_mode_with_right_and_wrong_secret(tmp_path: Path) -> None:
    port = _free_port()
    async with running_world(
        tmp_path,
        telegram_webhook_url=f"http://127.0.0.1:{port}/hook",
        telegram_webhook_secret="the-secret",
        telegram_webhook_listen=f"127.0.0.1:{port}",
    ) as world:
        fake = world.fake
        assert fake.calls("getUpdates") == []
        wrong = {"message": fake.text_message(10, "/subscribe")}
        assert await fake.post_webhook(wrong, secret="not-it") == 403
        assert await fake.post_webhook(wrong, secret=None) == 403
        right = {"message": fake.text_message(11, "/subscribe")}
        assert await fake.post_webhook(right) == 200
        assert "Subscribed" in (await fake.next_message(11)).text
        assert fake.sent_to(10) == []
        assert await world.chat(10) is None


async def test_composition_root_builds_the_telegram_adapter(tmp_path: Path) -> None:
    from adapters.telegram.adapter import TelegramAdapter
    from bot.app import open_herald, platform_adapters
    from bot.settings import Settings

    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'h.db'}", telegram_token="1:x"
    )
    herald = await open_herald(settings)
    try:
        (adapter,) = platform_adapters(herald)
        assert isinstance(adapter, TelegramAdapter)
        await adapter.stop()  # never started: closes cleanly
    finally:
        await herald.close()


async def test_bad_input_gets_a_polite_reply_or_silence(world: World) -> None:
    fake = world.fake
    fake.sticker(30)
    fake.send_text(30, "just chatting")
    fake.edit_user_message(30, 1, "/subscribe")
    fake.send_text(30, "/" + "x" * 10_000)  # not a command name at all: silence
    fake.send_text(30, "/search " + "word " * 2_000)
    assert "too long" in (await fake.next_message(30)).text
    fake.send_text(30, "/подписка", language_code="xx")  # Telegram sees no command: silence
    unknown = await world.say(30, "/frobnicate", language_code="xx")
    assert unknown.text.startswith("Unknown command /frobnicate")
    help_ru = await world.say(31, "/help", language_code="ru")
    assert "/subscribe" in help_ru.text
    for message in fake.sent_to(30) + fake.sent_to(31):
        assert "Traceback" not in message.text
    assert len(fake.sent_to(30)) == 2  # sticker, chatter and the edit got no answer
    assert await world.scalar("SELECT count(*) FROM subscriptions") == 0


async def test_a_feed_drafts_publish_button_publishes_once_and_only_for_an_admin(
    world: World,
) -> None:
    from bot.feeds.sources import SourceMode
    from tests.feeds.site import Page, Site, rss

    assert "Subscribed" in (await world.say(10, "/subscribe")).text
    site = await Site().start()
    try:
        assert world.herald.feeds is not None
        feeds = world.herald.feeds
        site.pages["/rss"] = Page(rss(("urn:1", "Spring meeting", "<p>Room 101.</p>")))
        added = await feeds.add(site.url("/rss"), actor="cli:admin", mode=SourceMode.DRAFT)
        site.pages["/rss"] = Page(
            rss(("urn:2", "Summer picnic", "<p>In the park.</p>"),
                ("urn:1", "Spring meeting", "<p>Room 101.</p>"))
        )  # fmt: skip
        (draft,) = (await feeds.poll(added.source.id)).created
    finally:
        await site.close()
    notice = await world.fake.next_message(ADMIN)
    assert notice.text.startswith("New draft from the website: Summer picnic")
    (button,) = [b for row in notice.buttons for b in row]
    assert button["callback_data"] == f"/publish {draft}"

    # A member who forges the press (the button is in the admin's chat) is refused.
    world.fake.press(ADMIN, notice.message_id, button["callback_data"], user_id=998)
    await world.fake.wait_until(lambda: len(world.fake.answered_callbacks) == 1)
    assert world.fake.answered_callbacks[0]["show_alert"] is True
    assert "Only" in world.fake.answered_callbacks[0]["text"]
    assert await world.scalar("SELECT status FROM announcements") == "draft"

    world.fake.press(ADMIN, notice.message_id, button["callback_data"], user_id=ADMIN)
    await world.fake.wait_until(lambda: len(world.fake.answered_callbacks) == 2)
    assert await world.scalar("SELECT status FROM announcements") == "published"
    await world.settle()
    assert [m.text.split("\n")[0] for m in world.fake.sent_to(10)[1:]] == ["Summer picnic"]

    # A second press (a double tap, or another admin) broadcasts nothing more.
    world.fake.press(ADMIN, notice.message_id, button["callback_data"], user_id=ADMIN)
    await world.fake.wait_until(lambda: len(world.fake.answered_callbacks) == 3)
    await world.settle()
    assert len(world.fake.sent_to(10)) == 2  # the /subscribe answer and one announcement
    sends = "SELECT count(*) FROM deliveries WHERE action = 'send'"
    assert await world.scalar(sends) == 1
