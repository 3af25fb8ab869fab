"""The adapter with the real python-telegram-bot against the fake Bot API and a recording core."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.config import TelegramConfig
from adapters.telegram.handlers import GENERIC_ERROR, command_text
from bot.commands.types import Command
from bot.domain import ChatKind
from bot.ports import MessageKind, OutboundMessage, Target, Transient
from bot.replies import Reply
from tests.adapter_state import MemoryState
from tests.fakes.telegram_api import FakeTelegram
from tests.telegram.recording_core import RecordingCore


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
def core() -> RecordingCore:
    return RecordingCore()


@pytest.fixture
async def adapter(fake: FakeTelegram, core: RecordingCore) -> AsyncIterator[TelegramAdapter]:
    telegram = TelegramAdapter(
        core, TelegramConfig(token=fake.token, api_url=fake.root), state=core.state
    )
    await telegram.start()
    assert telegram.ready.is_set()
    yield telegram
    await telegram.stop()


@pytest.mark.usefixtures("adapter")
async def test_private_command_answered(fake: FakeTelegram, core: RecordingCore) -> None:
    fake.send_text(42, "/ping", language_code="ru")
    reply = await fake.next_message(42)
    assert reply.text == "pong <&>"
    assert reply.raw == "pong &lt;&amp;&gt;"
    assert reply.parse_mode == "HTML"
    (command,) = core.seen
    assert (command.platform, command.chat_id, command.user_id) == ("telegram", "42", "42")
    assert command.chat_kind is ChatKind.PRIVATE
    assert command.is_chat_admin is True
    assert command.language_hint == "ru"
    assert command.from_button is False


@pytest.mark.usefixtures("adapter")
async def test_group_commands_addressing_and_admins(
    fake: FakeTelegram, core: RecordingCore
) -> None:
    fake.set_admins(-100, 5)
    fake.send_text(-100, "/whoami@other_bot", user_id=5)
    fake.send_text(-100, "/whoami@Herald_Test_Bot  two words", user_id=5)
    fake.send_text(-100, "/whoami", user_id=6)
    first = await fake.next_message(-100)
    second = await fake.next_message(-100)
    assert first.text == "echo: /whoami  two words"
    assert second.text == "echo: /whoami"
    assert [c.is_chat_admin for c in core.seen] == [True, False]
    assert {c.chat_kind for c in core.seen} == {ChatKind.GROUP}
    assert first.options["reply_parameters"]["message_id"] == 2  # threads under the command


@pytest.mark.usefixtures("adapter")
async def test_channel_post_and_supergroup(fake: FakeTelegram, core: RecordingCore) -> None:
    fake.channel_post(-1001, "/subscribe Korea", title="Society news")
    await fake.next_message(-1001)
    fake.send_text(-1009999999999, "/x", kind="supergroup")
    await fake.next_message(-1009999999999)
    channel, supergroup = core.seen
    assert channel.chat_kind is ChatKind.CHANNEL
    assert channel.is_chat_admin is True
    assert channel.chat_title == "Society news"
    assert supergroup.chat_kind is ChatKind.GROUP


@pytest.mark.usefixtures("adapter")
async def test_noise_ignored_and_reply_text_passed(fake: FakeTelegram, core: RecordingCore) -> None:
    fake.send_text(42, "hello there")
    fake.sticker(42)
    fake.edit_user_message(42, 1, "/ping")
    fake.send_text(42, "/silent")
    original = fake.send_text(42, "Text to publish\nsecond line")
    fake.send_text(42, "/post", reply_to=original["message_id"])
    assert (await fake.next_message(42)).text == "echo: /post"
    assert [c.text for c in core.seen] == ["/silent", "/post"]
    assert core.seen[1].reply_to_text == "Text to publish\nsecond line"
    assert len(fake.sent_to(42)) == 1


@pytest.mark.usefixtures("adapter")
async def test_buttons_edit_in_place(fake: FakeTelegram, core: RecordingCore) -> None:
    fake.send_text(42, "/page 1")
    page = await fake.next_message(42)
    assert [b["callback_data"] for b in page.buttons[0]] == ["/page 0", "/page 2"]
    query = fake.press(42, page.message_id, "/page 2")
    await fake.wait_until(lambda: bool(fake.answered_callbacks) and page.text == "Page 2")
    assert fake.answered_callbacks[0]["callback_query_id"] == query
    assert page.buttons[0][1]["callback_data"] == "/page 3"
    assert len(fake.sent_to(42)) == 1
    assert core.seen[-1].from_button is True
    fake.press(42, page.message_id, "/refuse")
    await fake.wait_until(lambda: len(fake.answered_callbacks) == 2)
    assert fake.answered_callbacks[1]["show_alert"] is True
    assert fake.answered_callbacks[1]["text"] == "Only admins can do that."
    assert page.text == "Page 2"


@pytest.mark.usefixtures("adapter")
async def test_failures_are_polite(fake: FakeTelegram, caplog: pytest.LogCaptureFixture) -> None:
    fake.send_text(42, "/boom")
    assert (await fake.next_message(42)).text == GENERIC_ERROR
    assert "kaboom" in caplog.text
    assert "Traceback" not in fake.sent_to(42)[0].text
    fake.send_text(43, "/page 1")
    page = await fake.next_message(43)
    fake.press(43, page.message_id, "/boom")
    await fake.wait_until(lambda: bool(fake.answered_callbacks))
    assert fake.answered_callbacks[0]["text"] == GENERIC_ERROR


@pytest.mark.usefixtures("adapter")
async def test_apology_is_in_the_users_language(fake: FakeTelegram) -> None:
    fake.send_text(42, "/boom", language_code="ru")
    assert (await fake.next_message(42)).text == "Что-то пошло не так; ошибка записана в журнал."
    fake.send_text(43, "/page 1", language_code="ko")
    page = await fake.next_message(43)
    fake.press(43, page.message_id, "/boom", language_code="ko")
    await fake.wait_until(lambda: bool(fake.answered_callbacks))
    assert fake.answered_callbacks[0]["text"] == "문제가 발생했습니다. 오류는 기록되었습니다."
    fake.send_text(44, "/boom", language_code="de")
    assert (await fake.next_message(44)).text == GENERIC_ERROR


@pytest.mark.usefixtures("adapter")
async def test_long_reply_split_with_buttons_last(fake: FakeTelegram) -> None:
    fake.send_text(42, "/long")
    # 20 paragraphs of 1,500 characters: two fit in a part of 4,096.
    parts = [await fake.next_message(42) for _ in range(10)]
    assert [p.text[-7:].strip() for p in parts] == [f"({i}/10)" for i in range(1, 11)]
    assert [bool(p.buttons) for p in parts] == [False] * 9 + [True]


@pytest.mark.usefixtures("adapter")
async def test_membership_and_migration(fake: FakeTelegram, core: RecordingCore) -> None:
    fake.member_update(-100, "member", kind="group", title="Friends")
    fake.member_update(-1001, "administrator", kind="channel")
    fake.member_update(42, "kicked", old_status="member")
    fake.member_update(-1001, "member", old_status="administrator")
    fake.member_update(-100, "kicked", old_status="member")
    fake.migrate(-200, -1000000000200)
    await fake.wait_until(lambda: len(core.left) == 3 and len(core.migrated) == 1)
    assert [(c.external_id, c.kind, c.title) for c in core.joined] == [
        ("-100", ChatKind.GROUP, "Friends"),
        ("-1001", ChatKind.CHANNEL, "Chat -1001"),
    ]
    assert [(c.external_id, reason) for c, reason in core.left] == [
        ("42", "blocked by the user"),
        ("-1001", "no longer an admin of the channel"),
        ("-100", "removed from the group"),
    ]
    assert [(c.external_id, new) for c, new in core.migrated] == [("-200", "-1000000000200")]


async def test_commands_registered_once(fake: FakeTelegram, core: RecordingCore) -> None:
    config = TelegramConfig(token=fake.token, api_url=fake.root)
    for _ in range(2):
        telegram = TelegramAdapter(core, config, state=core.state)
        await telegram.start()
        await telegram.stop()
    assert len(fake.calls("setMyCommands")) == 3
    menus = {lang: [(c["command"], c["description"]) for c in cmds]
             for (_, lang), cmds in fake.commands.items()}
    assert menus == {
        "": [("ping", "Check the bot")],
        "ru": [("ping", "Проверить бота")],
        "ko": [("ping", "봇 확인")],
    }


async def test_platform_before_connection_is_transient(fake: FakeTelegram) -> None:
    config = TelegramConfig(token=fake.token, api_url=fake.root)
    telegram = TelegramAdapter(RecordingCore(), config, state=MemoryState())
    message = OutboundMessage(MessageKind.ANNOUNCEMENT, "t", "b")
    with pytest.raises(Transient):
        await telegram.send(Target("1", ChatKind.PRIVATE), message, key="k")
    await telegram.start()
    assert await telegram.send(Target("1", ChatKind.PRIVATE), message, key="k") == ["1"]
    await telegram.stop()


class GatedCore(RecordingCore):
    """Holds `/slow` until released, to show per-chat ordering and cross-chat concurrency."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()
        self.order: list[str] = []

    async def handle(self, command: Command) -> Reply | None:
        """`/slow` waits for the test; everything is recorded in the order it finished."""
        if command.text == "/slow":
            await self.release.wait()
        self.order.append(f"{command.chat_id}{command.text}")
        return await super().handle(command)


async def test_updates_ordered_within_a_chat_concurrent_across_chats(fake: FakeTelegram) -> None:
    core = GatedCore()
    telegram = TelegramAdapter(
        core, TelegramConfig(token=fake.token, api_url=fake.root), state=core.state
    )
    await telegram.start()
    try:
        fake.send_text(1, "/slow")
        fake.send_text(1, "/ping")
        fake.send_text(2, "/ping")
        assert (await fake.next_message(2)).text == "pong <&>"  # chat 2 is not held up
        assert core.order == ["2/ping"]
        core.release.set()
        await fake.next_message(1)
        await fake.next_message(1)
        assert core.order == ["2/ping", "1/slow", "1/ping"]
    finally:
        await telegram.stop()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/ping", "/ping"),
        ("/post Title\nBody", "/post Title\nBody"),
        ("/tag@herald_test_bot Korea 2", "/tag Korea 2"),
        ("/tag@HERALD_TEST_BOT", "/tag"),
        ("/tag@other_bot Korea", None),
        ("/", None),
        ("   ", None),
        ("hello /ping", None),
    ],
)
def test_command_text(text: str, expected: str | None) -> None:
    assert command_text(text, "herald_test_bot") == expected


@pytest.mark.usefixtures("adapter")
async def test_buttons_in_channels_are_not_admin_by_default(
    fake: FakeTelegram, core: RecordingCore
) -> None:
    fake.set_admins(-1001, 7)
    fake.channel_post(-1001, "/page 1")
    page = await fake.next_message(-1001)
    fake.press(-1001, page.message_id, "/page 2", user_id=8)  # a reader
    fake.press(-1001, page.message_id, "/page 3", user_id=7)  # the channel's admin
    await fake.wait_until(lambda: len(fake.answered_callbacks) == 2)
    assert [(c.text, c.is_chat_admin) for c in core.seen] == [
        ("/page 1", True),
        ("/page 2", False),
        ("/page 3", True),
    ]
