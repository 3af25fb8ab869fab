"""Bad input gets a clear answer naming it (tags, caps, dates, pages), views; the real core."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from adapters.discord.modals import post_command
from adapters.telegram.render import render_message, render_reply
from bot.app import Herald, open_herald
from bot.commands.types import Command
from bot.domain import ChatKind
from bot.ports import ManualClock, MessageKind, OutboundMessage
from bot.replies import Reply
from bot.settings import Settings
from storage.engine import create_engine
from storage.migrate import upgrade

OWNER = ("console", "local", "owner")
LONG_TAG = " ".join(f"word{n}" for n in range(300))  # 2,000+ characters, no commas


@pytest.fixture
async def herald(database_url: str, clock: ManualClock) -> AsyncIterator[Herald]:
    """Herald on the test database, with small caps so each is cheap to reach."""
    engine = create_engine(database_url)
    await upgrade(engine)
    await engine.dispose()
    settings = Settings(
        database_url=database_url,
        admins="console:owner",
        timezone="Asia/Seoul",
        max_tags_per_post=3,
        max_tags_per_subscribe=4,
        max_tags_per_chat=5,
        max_tag_length=24,
    )
    herald = await open_herald(settings, clock=clock)
    try:
        yield herald
    finally:
        await herald.close()


async def say(herald: Herald, line: str, *, user: str = "7", owner: bool = False) -> str:
    platform, chat, who = OWNER if owner else ("telegram", user, user)
    command = Command(platform, chat, ChatKind.PRIVATE, who, line)
    reply = await herald.router.handle(command)
    assert reply is not None
    return reply.plain()


async def subscriptions(herald: Herald) -> list[tuple[str, str]]:
    async with herald.repository.sessions() as db:
        rows = await db.execute(text("SELECT tag_key, tag_name FROM subscriptions ORDER BY 1"))
        return [(r[0], r[1]) for r in rows]


# --- tags ----------------------------------------------------------------------------------


async def test_an_overlong_tag_is_refused_by_name_never_read_as_everything(herald: Herald) -> None:
    answer = await say(herald, "/subscribe " + LONG_TAG)
    assert "The tag “word0 word1 word2" in answer
    assert "is longer than 24 characters" in answer
    assert "Separate tags with commas" in answer
    assert "every announcement" not in answer
    assert await subscriptions(herald) == []
    await say(herald, "/subscribe Korea")
    answer = await say(herald, "/unsubscribe " + LONG_TAG)
    assert "is longer than 24 characters" in answer
    assert await subscriptions(herald) == [("korea", "Korea")]  # not unsubscribed from all


@pytest.mark.parametrize(
    "spelling", ["Kor\u200bea", "Korea\u00ad", "\u202eKorea\u202c", "Ko\u2060rea\ufe0f"]
)
async def test_invisible_characters_do_not_make_a_second_tag(herald: Herald, spelling: str) -> None:
    assert "Subscribed to #Korea" in await say(herald, "/subscribe " + spelling)
    assert "Already subscribed" in await say(herald, "/subscribe Korea")
    answer = await say(herald, "/post Day\nText\nTags: Korea", owner=True)
    assert "goes to 1 chat" in answer


@pytest.mark.parametrize(
    "line", ["/subscribe #", "/subscribe \u200b", "/subscribe ---", "/subscribe ,;,"]
)
async def test_text_that_is_no_tag_is_refused_by_name(herald: Herald, line: str) -> None:
    answer = await say(herald, line)
    assert "cannot be a tag: a tag needs a letter or a digit" in answer
    assert await subscriptions(herald) == []


async def test_tag_listing_refuses_what_is_no_tag(herald: Herald) -> None:
    assert "“<U+200B>” cannot be a tag" in await say(herald, "/tag \u200b")
    assert "is longer than 24 characters" in await say(herald, "/tag " + LONG_TAG)
    await say(herald, "/post Day\nText\nTags: Korea", owner=True)
    assert "announcements: 1" in await say(herald, "/tag Kor\u200bea")


async def test_an_invisible_tag_is_shown_spelled_out(herald: Herald) -> None:
    answer = await say(herald, "/subscribe \u200b\u2066")
    assert "“<U+200B><U+2066>” cannot be a tag" in answer


async def test_tags_per_subscribe_cap(herald: Herald) -> None:
    answer = await say(herald, "/subscribe a, b, c, d, e")
    assert "That is 5 tags at once; at most 4." in answer
    assert await subscriptions(herald) == []
    assert "Subscribed to #a #b #c #d" in await say(herald, "/subscribe a, b, c, d")


async def test_tags_per_chat_cap(herald: Herald) -> None:
    await say(herald, "/subscribe a, b, c")
    answer = await say(herald, "/subscribe c, d, e")
    assert "Subscribed to #d #e" in answer
    answer = await say(herald, "/subscribe f")
    assert "This chat would follow 6 tags; at most 5." in answer
    assert len(await subscriptions(herald)) == 5
    assert "every announcement" in await say(herald, "/subscribe")  # not a tag: no cap


async def test_tags_per_post_and_characters_per_tag(herald: Herald) -> None:
    answer = await say(herald, "/post T\nBody\nTags: a, b, c, d", owner=True)
    assert "That is 4 tags for one announcement; at most 3." in answer
    answer = await say(herald, "/post T\nBody #one #two #three #four", owner=True)
    assert "That is 4 tags for one announcement; at most 3." in answer
    answer = await say(herald, "/post T\nBody\nTags: " + "x" * 25, owner=True)
    assert "The tag “" + "x" * 25 + "” is longer than 24 characters." in answer
    answer = await say(herald, "/anniversary add 1945-08-15 Day #a #b #c #d", owner=True)
    assert "That is 4 tags for one announcement; at most 3." in answer
    async with herald.repository.sessions() as db:
        assert await db.scalar(text("SELECT count(*) FROM announcements")) == 0
    answer = await say(herald, "/post T\nBody\nTags: a, b, c", owner=True)
    assert "published" in answer
    edited = await say(herald, "/edit 1\nT\nBody\nTags: a, b, c, d", owner=True)
    assert "at most 3" in edited


async def test_the_discord_forms_command_line_meets_the_same_caps(herald: Herald) -> None:
    line, _ = post_command("post", "Title", "Body", "a, b, c, d", None)
    assert "That is 4 tags for one announcement; at most 3." in await say(herald, line, owner=True)
    line, _ = post_command("post", "Title", "Body", "\u200b", None)
    assert "cannot be a tag" in await say(herald, line, owner=True)


# --- dates and times -----------------------------------------------------------------------

DIGITS = "write dates and times with the digits 0-9."


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/anniversary add 1945-08-15 ٠٩:٣٠ Liberation", "٠٩:٣٠: " + DIGITS),
        ("/anniversary add ١٩٤٥-٠٨-١٥ Liberation", "١٩٤٥-٠٨-١٥: " + DIGITS),
        ("/anniversary add 1945-08-15 25:00 Liberation", "25:00 is not a time of day"),
        ("/anniversary add 0999-08-15 Old", "0999-08-15: the year must be between 1000 and 9999."),
        ("/anniversary add 2023-02-29 Not leap", "2023-02-29 is not a date."),
        ("/anniversary add --02-30 Never", "--02-30 is not a date."),
        ("/schedule 1 0001-01-01 00:00", "0001-01-01: the year must be between 1000 and 9999."),
        ("/schedule 1 2023-02-30 10:00", "2023-02-30 is not a date."),
        ("/schedule 1 2026-08-15 ٠٩:٣٠", "٠٩:٣٠: " + DIGITS),
        ("/schedule 1 2026-08-15 9.30", "9.30 is not a time: write HH:MM"),
        ("/schedule 1 2026-08-15 24:00", "24:00 is not a time of day"),
    ],
)
async def test_bad_dates_and_times_are_named(herald: Herald, line: str, expected: str) -> None:
    await say(herald, "/draft T\nBody", owner=True)
    answer = await say(herald, line, owner=True)
    assert expected in answer
    assert "Something went wrong" not in answer
    async with herald.repository.sessions() as db:
        assert await db.scalar(text("SELECT count(*) FROM anniversaries")) == 0
        status = await db.scalar(text("SELECT status FROM announcements WHERE id = 1"))
    assert status == "draft"


async def test_a_good_anniversary_time_is_kept(herald: Herald) -> None:
    answer = await say(herald, "/anniversary add 1945-08-15 09:30 Liberation #Korea", owner=True)
    assert "Anniversary #1 kept: Liberation, every 08-15." in answer
    listing = await say(herald, "/anniversary list", owner=True)
    assert "09:30" in listing
    assert "#Korea" in listing


# --- pages ---------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["0", "-1", "1001", "²", "٣", "1e3", "99999999999999999999"])
async def test_bad_page_numbers_are_refused(herald: Herald, page: str) -> None:
    await say(herald, "/post Liberation\nBody\nTags: Korea", owner=True)
    for line in (f"/latest {page}", f"/tag Korea {page}"):
        answer = await say(herald, line)
        assert "is not a page number: use 1 to 1000" in answer or "No announcements with" in answer
    found = await say(herald, "/search liberation")
    assert "Found 1" in found
    token = re.search(r"~[0-9a-f]{10}", str(await _search_token(herald)))
    assert token is not None
    answer = await say(herald, f"/search {token[0]} {page}")
    assert "is not a page number: use 1 to 1000" in answer


async def _search_token(herald: Herald) -> str:
    return " ".join(herald.services.searches)


async def test_pages_past_the_end_say_so(herald: Herald) -> None:
    for n in range(6):
        await say(herald, f"/post Liberation {n}\nBody\nTags: Korea", owner=True)
    assert "Page 3 is past the end (the last page is 2)." in await say(herald, "/latest 3")
    assert "Page 9 is past the end (the last page is 2)." in await say(herald, "/tag Korea 9")
    await say(herald, "/search liberation")
    token = await _search_token(herald)
    assert "Page 1000 is past the end (the last page is 2)." in await say(
        herald, f"/search {token} 1000"
    )
    assert "Page 2 of 2" in await say(herald, f"/search {token} 2")


# --- views ---------------------------------------------------------------------------------


async def test_a_view_counts_once_per_user(herald: Herald) -> None:
    await say(herald, "/post T\nBody", owner=True)
    for _ in range(5):
        await say(herald, "/show 1", user="7")
    await say(herald, "/show 1", user="8")
    assert "Views: 2" in await say(herald, "/show #1", user="7")  # the count before this view
    stats = await say(herald, "/stats 1", owner=True)
    assert "Views: 2 in chats" in stats


# --- hashtags ------------------------------------------------------------------------------

TAGS = ("DPRK-Russia relations", "Дружба народов", "한국 친구")


def telegram_hashtags(text: str) -> list[str]:
    """The hashtags Telegram links in `text` (TDLib: letters, decimal digits, `_`, ZWNJ)."""

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


def tokens(text: str) -> list[str]:
    return [word for word in re.split(r"\s+", text) if word.startswith("#")]


async def test_replies_and_broadcasts_render_the_same_whole_hashtags(herald: Herald) -> None:
    expected = ["#DPRK_Russia_relations", "#Дружба_народов", "#한국_친구"]
    line = "/post T\nBody\nTags: " + ", ".join(TAGS)
    command = Command(OWNER[0], OWNER[1], ChatKind.PRIVATE, OWNER[2], line)
    reply = await herald.router.handle(command)
    assert isinstance(reply, Reply)
    replied = "".join(render_reply(reply))
    assert [t for t in tokens(replied) if not t.startswith("#1")] == expected
    broadcast = render_message(OutboundMessage(MessageKind.ANNOUNCEMENT, "T", "Body", TAGS))[0]
    assert tokens(broadcast) == expected
    # Each is one tappable hashtag on Telegram, not cut at the hyphen or the space.
    assert telegram_hashtags(broadcast) == expected
    assert [t for t in telegram_hashtags(replied) if t in expected] == expected
    shown = await say(herald, "/show 1")
    assert " ".join(expected) in shown
