"""End-to-end command tests through the console adapter on a real database."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from rich.console import Console
from sqlalchemy import text

from adapters.console.adapter import ConsoleAdapter
from bot.app import Herald, open_herald
from bot.commands.types import Command
from bot.domain import ChatKind, ChatRef
from bot.ports import ManualClock
from bot.replies import Reply
from bot.settings import Settings


@dataclass
class Session:
    """A console session: type a line, read the reply."""

    herald: Herald
    console: ConsoleAdapter
    screen: io.StringIO

    async def say(self, line: str) -> str:
        reply = await self.console.submit_line(line)
        return "" if reply is None else reply.plain()

    async def as_user(
        self,
        line: str,
        *,
        user: str = "42",
        platform: str = "telegram",
        kind: ChatKind = ChatKind.PRIVATE,
        chat: str = "42",
        chat_admin: bool = False,
        target: ChatRef | None = None,
        language_hint: str | None = None,
    ) -> Reply | None:
        return await self.herald.router.handle(
            Command(
                platform=platform,
                chat_id=chat,
                chat_kind=kind,
                user_id=user,
                text=line,
                is_chat_admin=chat_admin,
                channels=None if target is None else OneChannel(target),
                language_hint=language_hint,
            )
        )


@dataclass
class OneChannel:
    """A ChannelDirectory that finds one chat, whatever its name; records what it was asked."""

    chat: ChatRef
    asked: list[str] = field(default_factory=list)

    async def find(self, name: str, *, to_post: bool) -> ChatRef | None:
        """The one chat."""
        self.asked.append(name)
        return self.chat


@pytest.fixture
async def session(database_url: str, clock: ManualClock) -> AsyncIterator[Session]:
    """Herald on the test database, the console user an owner."""
    from storage.engine import create_engine
    from storage.migrate import upgrade

    engine = create_engine(database_url)
    await upgrade(engine)
    await engine.dispose()
    settings = Settings(database_url=database_url, admins="console:owner", timezone="Asia/Seoul")
    herald = await open_herald(settings, clock=clock)
    screen = io.StringIO()
    console = ConsoleAdapter(
        herald.router,
        stdin=io.StringIO(""),
        console=Console(file=screen, width=120),
        user="owner",
    )
    try:
        yield Session(herald, console, screen)
    finally:
        await herald.close()


POST = "/post Liberation Day\nWe remember August 15, 1945.\nTags: Korea, Friends_of_Korea"


async def test_member_subscribes_and_admin_post_reaches_only_matching_chats(
    session: Session,
) -> None:
    await session.as_user("/subscribe #Korea", user="1", chat="1")
    await session.as_user("/subscribe", user="2", chat="2")
    await session.as_user("/subscribe Music", user="3", chat="3")
    answer = await session.say(POST)
    assert "published" in answer
    assert "goes to 2 chats" in answer
    async with session.herald.repository.sessions() as db:
        rows = (
            await db.execute(
                text(
                    "SELECT c.external_id FROM deliveries d JOIN chats c ON c.id = d.chat_id "
                    "ORDER BY c.external_id"
                )
            )
        ).all()
    assert [r[0] for r in rows] == ["1", "2"]


async def test_tag_page_has_paging_buttons_and_normalized_tags(session: Session) -> None:
    for n in range(7):
        await session.say(f"/post Title {n}\nBody {n}\nTags: Friends of Korea")
    reply = await session.as_user("/tag FRIENDS  OF   korea")
    assert reply is not None
    assert "#Friends_of_Korea" in reply.plain()
    assert "announcements: 7" in reply.plain()
    actions = [b.action for row in reply.buttons for b in row]
    assert actions == ["/tag Friends of Korea 2"]
    second = await session.as_user(actions[0])
    assert second is not None
    assert "Page 2 of 2" in second.plain()
    assert [b.action for row in second.buttons for b in row] == ["/tag Friends of Korea 1"]


async def test_unknown_tag_suggests_close_matches(session: Session) -> None:
    await session.say("/post T\nB\nTags: Korea")
    answer = await session.say("/tag Koreа")  # the last letter is Cyrillic
    assert "No announcements with the tag" in answer
    assert "#Korea" in answer


@pytest.mark.parametrize(
    "command",
    [
        "/post T\nB",
        "/draft T\nB",
        "/publish 1",
        "/schedule 1 2030-01-01 09:00",
        "/edit 1 T\nB",
        "/delete 1",
        "/anniversary add 1945-08-15 Liberation",
        "/anniversary remove 1",
        "/stats",
        "/admin add telegram:5",
    ],
)
async def test_non_admin_is_refused_every_admin_command(session: Session, command: str) -> None:
    await session.say("/post Kept\nText")
    reply = await session.as_user(command, user="999")
    assert reply is not None
    assert "Only" in reply.plain()
    async with session.herald.repository.sessions() as db:
        assert await db.scalar(text("SELECT count(*) FROM announcements")) == 1
        assert await db.scalar(text("SELECT status FROM announcements")) == "published"
        assert await db.scalar(text("SELECT count(*) FROM anniversaries")) == 0
        assert await db.scalar(text("SELECT count(*) FROM admins")) == 0


async def test_group_subscription_needs_chat_admin(session: Session) -> None:
    refused = await session.as_user("/subscribe", kind=ChatKind.GROUP, chat="-100", user="7")
    assert refused is not None
    assert "Only this chat's admins" in refused.plain()
    allowed = await session.as_user(
        "/subscribe", kind=ChatKind.GROUP, chat="-100", user="7", chat_admin=True
    )
    assert allowed is not None
    assert "Subscribed" in allowed.plain()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/post", "The post is empty"),
        ("/post Only a title", "needs a text under its title"),
        ("/post " + "x" * 100_001, "longer than 100,000"),
        ("/show 999", "There is no announcement #999"),
        ("/show abc", "Usage: /show ID"),
        ("/schedule 1 15.08.2026 9:00", "15.08.2026 is not a date: write YYYY-MM-DD"),
        ("/anniversary add 1945-02-30 Bad date", "1945-02-30 is not a date."),
        ("/anniversary add 15/08/1945 Bad", "15/08/1945 is not a date: write YYYY-MM-DD"),
        ("/lang xx", "Usage: /lang"),
        ("/frobnicate", "Unknown command /frobnicate"),
        ("/search", "Usage: /search"),
        ("/tag", "Usage: /tag"),
        ("/latest zero", "“zero” is not a page number"),
    ],
)
async def test_bad_input_gets_a_clear_answer_and_writes_nothing(
    session: Session, line: str, expected: str
) -> None:
    answer = await session.say(line)
    assert expected in answer
    assert "Traceback" not in answer
    async with session.herald.repository.sessions() as db:
        assert await db.scalar(text("SELECT count(*) FROM announcements")) == 0
        assert await db.scalar(text("SELECT count(*) FROM anniversaries")) == 0


HOSTILE = "<b>&amp; *bold* _it_ `code` '; DROP TABLE announcements; -- @everyone"


async def test_hostile_text_is_stored_verbatim(session: Session) -> None:
    await session.say(f"/post {HOSTILE}\n{HOSTILE}\nTags: x")
    async with session.herald.repository.sessions() as db:
        title, body = (await db.execute(text("SELECT title, body FROM announcements"))).one()
    assert title == HOSTILE
    assert body == HOSTILE
    shown = await session.say("/show 1")
    assert HOSTILE in shown
    found = await session.say("/search DROP TABLE")
    assert "Found 1" in found


async def test_draft_publish_edit_retract_life_cycle(session: Session) -> None:
    await session.as_user("/subscribe", user="1", chat="1")
    assert "Draft #1 saved" in await session.say("/draft Plan\nFirst text")
    assert "goes to 1 chat." in await session.say("/publish 1")
    assert "already published" in await session.say("/publish 1")
    edited = await session.say("/edit 1 Plan v2\nSecond text")
    assert "edited" in edited
    assert "Plan v2" in await session.say("/show 1")
    assert "retracted" in await session.say("/delete 1")
    assert "There is no announcement #1" in (
        (await session.as_user("/show 1", user="5")) or Reply()
    ).plain()


async def test_schedule_uses_society_timezone(session: Session, clock: ManualClock) -> None:
    await session.say("/draft Later\nText")
    answer = await session.say("/schedule 1 2026-08-15 09:00")
    assert "2026-08-15 09:00 (Asia/Seoul)" in answer
    announcement = await session.herald.services.announcements.get(1)
    assert announcement is not None
    assert announcement.publish_at is not None
    assert announcement.publish_at.isoformat() == "2026-08-15T00:00:00+00:00"
    assert "already passed" in await session.say("/schedule 1 2020-01-01 09:00")


async def test_language_switch_and_owner_only_admin_management(session: Session) -> None:
    reply = await session.as_user("/lang ru")
    assert reply is not None
    assert reply.plain() == "Язык: русский."
    russian = await session.as_user("/frobnicate")
    assert russian is not None
    assert "Language" not in russian.plain()
    assert "/help" in russian.plain()
    assert "/frobnicate" in russian.plain()
    assert "telegram:5 is now an admin." in await session.say("/admin add telegram:5")
    granted = await session.as_user("/post From five\nText", user="5", chat="5")
    assert granted is not None
    assert "published" in granted.plain()
    refused = await session.as_user("/admin add telegram:6", user="5", chat="5")
    assert refused is not None
    assert "Only owners" in refused.plain()


async def test_anniversaries_listing_shows_ordinal_and_days_left(
    session: Session, clock: ManualClock
) -> None:
    assert "kept" in await session.say("/anniversary add 1945-08-15 Liberation of Korea #Korea")
    listing = await session.say("/anniversaries")
    # Clock: 2026-08-14 12:00 UTC = 21:00 in Seoul; the day is tomorrow there.
    assert "2026-08-15" in listing
    assert "81st anniversary" in listing
    assert "in 1 days" in listing or "in 1 day" in listing
    assert "#1" in await session.say("/anniversary list")


async def test_target_add_subscribes_the_resolved_channel(session: Session) -> None:
    channel = ChatRef("telegram", "-1001234567890123", ChatKind.CHANNEL, "Society news")
    command = "/target add @society_news Korea, DPRK"
    reply = await session.as_user(command, target=channel)
    assert reply is not None
    assert "Only Herald admins" in reply.plain()  # user 42 is no admin yet
    await session.say("/admin add telegram:42")
    granted = await session.as_user(command, target=channel)
    assert granted is not None
    assert granted.plain() == "@society_news now receives: #Korea #DPRK."
    missing = await session.as_user("/target add @nowhere")
    assert missing is not None
    assert "I cannot see @nowhere" in missing.plain()
    answer = await session.say("/post Big news\nText\nTags: Korea")
    assert "goes to 1 chat." in answer


async def test_a_refused_target_asks_the_platform_nothing(session: Session) -> None:
    channels = OneChannel(ChatRef("telegram", "-100777", ChatKind.CHANNEL, "Society news"))
    command = Command(
        platform="telegram",
        chat_id="42",
        chat_kind=ChatKind.PRIVATE,
        user_id="42",
        text="/target add @society_news",
        channels=channels,
    )
    refused = await session.herald.router.handle(command)
    assert refused is not None
    assert "Only Herald admins" in refused.plain()
    assert channels.asked == []
    await session.say("/admin add telegram:42")
    granted = await session.herald.router.handle(command)
    assert granted is not None
    assert granted.plain() == "@society_news now receives: everything."
    assert channels.asked == ["@society_news"]


async def test_buttons_never_carry_a_cut_command(session: Session) -> None:
    long_tag = "Дружба народов Кореи и России навсегда"  # `/tag … 2` is 78 bytes
    for n in range(6):
        await session.say(f"/post Title {n}\nBody {n}\nTags: {long_tag}, Korea")
    reply = await session.as_user(f"/tag {long_tag}")
    assert reply is not None
    assert "Page 1 of 2" in reply.plain()
    actions = [b.action for row in reply.buttons for b in row]
    assert all(len(a.encode()) <= 64 for a in actions)
    assert actions == []  # the full command does not fit Telegram's 64 bytes: no button
    tags = await session.as_user("/tags")
    assert tags is not None
    assert [b.action for row in tags.buttons for b in row] == ["/tag Korea"]
    short = await session.as_user("/tag Korea")
    assert short is not None
    assert [b.action for row in short.buttons for b in row] == ["/tag Korea 2"]


async def test_a_private_chat_is_recorded_in_its_users_client_language(session: Session) -> None:
    reply = await session.as_user("/subscribe", chat="501", user="501", language_hint="ru-RU")
    assert reply is not None
    assert reply.plain() == "Чат подписан на все объявления."
    await session.as_user(
        "/subscribe", chat="-502", user="503", kind=ChatKind.GROUP, chat_admin=True,
        language_hint="ko",
    )
    async with session.herald.repository.sessions() as db:
        rows = await db.execute(text("SELECT external_id, language FROM chats"))
        languages: dict[str, str | None] = {str(r[0]): r[1] for r in rows}
    # What is delivered there later reads like the replies did; a group keeps the society's.
    assert languages["501"] == "ru"
    assert languages["-502"] is None
