"""Migration 0011: stored tag keys with invisible characters are renamed or merged."""

from __future__ import annotations

from collections.abc import Callable

from alembic import command
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.ports import ManualClock
from storage.migrate import alembic_config, upgrade
from storage.repository import Repository
from tests.storage.util import chat, post

ZW_KOREA = "kor\u200bea"


def _to(revision: str) -> Callable[[Connection], None]:
    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)

    return run


async def test_invisible_keys_are_merged_into_the_visible_tag(
    engine: AsyncEngine, repo: Repository, clock: ManualClock
) -> None:
    a = (await post(repo, clock, "A", tags=["Korea"])).announcement
    b = (await post(repo, clock, "B", tags=["History"])).announcement
    one = await chat(repo, clock, "1", tags=["korea", ZW_KOREA])
    two = await chat(repo, clock, "2", tags=["\u2066korea\u2069"])
    async with engine.begin() as conn:
        await conn.run_sync(_to("0010_chat_views"))
        await conn.execute(
            text("INSERT INTO tags (key, name, published_count) VALUES (:k, :n, 2)"),
            {"k": ZW_KOREA, "n": "Kor\u200bea"},
        )
        found = await conn.execute(text("SELECT id FROM tags WHERE key = :k"), {"k": ZW_KOREA})
        zw = found.scalar()
        for announcement in (a.id, b.id):  # A already has the clean tag: one link must go
            await conn.execute(
                text(
                    "INSERT INTO announcement_tags"
                    " (announcement_id, tag_id, published_at, position)"
                    " SELECT announcement_id, :tag, published_at, 1 FROM announcement_tags"
                    " WHERE announcement_id = :a"
                ),
                {"tag": zw, "a": announcement},
            )
        await conn.execute(
            text("UPDATE tags SET key = :k, name = :n WHERE key = 'history'"),
            {"k": "his\u00adtory", "n": "His\u00adtory"},
        )
    await upgrade(engine)
    async with engine.connect() as conn:
        query = text("SELECT key, name, published_count FROM tags ORDER BY key")
        tags = (await conn.execute(query)).all()
        links = (
            await conn.execute(
                text(
                    "SELECT t.key, at.announcement_id FROM announcement_tags at"
                    " JOIN tags t ON t.id = at.tag_id ORDER BY 1, 2"
                )
            )
        ).all()
    assert [tuple(t) for t in tags] == [("history", "History", 1), ("korea", "Korea", 2)]
    assert [tuple(link) for link in links] == [("history", b.id), ("korea", a.id), ("korea", b.id)]
    assert [s.tag_key for s in await repo.chats.subscriptions(one.id)] == ["korea"]
    assert [s.tag_key for s in await repo.chats.subscriptions(two.id)] == ["korea"]
    listing = await repo.announcements.tag_page("korea", page=1, size=5)
    assert listing is not None
    assert [item.title for item in listing[1].items] == ["B", "A"]
