"""A society's data made through the real core: what an archive or a backup must carry."""

from __future__ import annotations

from sqlalchemy import text

from bot.app import open_herald
from bot.commands.types import Command
from bot.domain import ChatKind
from bot.formatting import Photo, Style, TextStyle
from bot.settings import Settings
from tests.images import png

OWNER = "1"
POST = "/post Liberation Day\nWe remember the day, with friends from Pyongyang.\nTags: Korea"


def telegram(user: str, chat: str, text: str, **extra: object) -> Command:
    """A command from a Telegram private chat (or a group when the id is negative)."""
    kind = ChatKind.GROUP if chat.startswith("-") else ChatKind.PRIVATE
    return Command(
        platform="telegram", chat_id=chat, chat_kind=kind, user_id=user, text=text,
        is_chat_admin=True, **extra,  # type: ignore[arg-type]
    )  # fmt: skip


async def seed_society(database_url: str) -> None:
    """Subscriptions, admins, a formatted post with a photo, a plain post, anniversaries."""
    settings = Settings(database_url=database_url, admins=f"telegram:{OWNER}")
    herald = await open_herald(settings)
    body_start = POST.index("We remember")
    styles = (
        TextStyle(Style.BOLD, body_start, body_start + 11),
        TextStyle(Style.LINK, body_start + 35, body_start + 44, url="https://example.org/?a=1&b=2"),
    )
    commands = [
        telegram("10", "10", "/subscribe Korea"),
        telegram("11", "-200", "/subscribe"),
        telegram("12", "12", "/subscribe Friends of Korea, Culture"),
        telegram(OWNER, OWNER, "/admin add telegram:2"),
        telegram(OWNER, OWNER, POST, styles=styles, photo=Photo(png(3, 2), "image/png", "day.png")),
        telegram("2", "2", "/post Founding day\nThe society was founded in 1990.\nTags: Culture"),
        telegram(OWNER, OWNER, "/anniversary add 1945-08-15 09:30 Liberation Day #Korea"),
        telegram(OWNER, OWNER, "/anniversary add --12-25 Winter party"),
        telegram("12", "12", "/lang ru"),
    ]
    try:
        for command in commands:
            reply = await herald.router.handle(command)
            assert reply is not None
            assert "went wrong" not in reply.plain(), reply.plain()
    finally:
        await herald.close()


async def counts(database_url: str) -> dict[str, int]:
    """Rows in the tables an archive carries."""
    herald = await open_herald(Settings(database_url=database_url))
    tables = (
        "announcements", "announcement_photos", "announcement_tags", "tags", "chats",
        "subscriptions", "admins", "anniversaries", "audit_log",
    )  # fmt: skip
    try:
        async with herald.repository.sessions() as db:
            return {
                table: int((await db.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())
                for table in tables
            }
    finally:
        await herald.close()
