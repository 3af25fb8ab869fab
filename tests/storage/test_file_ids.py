"""Platform file ids by content (bot.ports.FileIds), and the migration that moved them there."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from alembic import command
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.migrate import alembic_config
from storage.repository import Repository
from tests.images import png

DIGEST = hashlib.sha256(png()).hexdigest()
# The schema just before the file-id table, whatever lands below it.
BEFORE = "0009_platform_file_ids-1"


async def test_ids_kept_per_platform_replaced_and_forgotten(repo: Repository) -> None:
    ids = repo.file_ids
    assert await ids.get("telegram", DIGEST) is None
    await ids.put("telegram", DIGEST, "AgAD-1")
    await ids.put("discord", DIGEST, "att-9")
    assert await ids.get("telegram", DIGEST) == "AgAD-1"
    assert await ids.get("discord", DIGEST) == "att-9"
    assert await ids.get("telegram", "0" * 64) is None
    await ids.put("telegram", DIGEST, "AgAD-2")  # a new upload's id replaces the old one
    assert await ids.get("telegram", DIGEST) == "AgAD-2"
    await ids.forget("telegram", DIGEST, "AgAD-1")  # stale, but already replaced: kept
    assert await ids.get("telegram", DIGEST) == "AgAD-2"
    await ids.forget("telegram", DIGEST, "AgAD-2")
    assert await ids.get("telegram", DIGEST) is None
    assert await ids.get("discord", DIGEST) == "att-9"
    await ids.forget("telegram", DIGEST, "AgAD-2")  # forgetting twice is no error


_WHEN = datetime(2026, 8, 14, 12, 0, tzinfo=UTC)


def _photos_with_ids_then_upgrade(connection: Connection) -> list[tuple[str, str, str]]:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, BEFORE)
    for aid, digest, file_id in [
        (1, DIGEST, "AgAD-old"),
        (2, DIGEST, "AgAD-old"),  # the same bytes in two posts: one row
        (3, "b" * 64, "AgAD-other"),
        (4, "c" * 64, None),  # never uploaded: no row
    ]:
        connection.execute(
            text(
                "INSERT INTO announcements (id, title, body, status, revision, views, "
                "created_at, updated_at) VALUES (:id, 't', 'b', 'draft', 1, 0, :at, :at)"
            ),
            {"id": aid, "at": _WHEN},
        )
        connection.execute(
            text(
                "INSERT INTO announcement_photos (announcement_id, data, mime_type, file_name, "
                "size, sha256, telegram_file_id, created_at) "
                "VALUES (:id, :data, 'image/png', 'p.png', 3, :sha, :fid, :at)"
            ),
            {"id": aid, "data": b"png", "sha": digest, "fid": file_id, "at": _WHEN},
        )
    command.upgrade(config, "head")
    rows = connection.execute(
        text("SELECT platform, sha256, file_id FROM platform_file_ids ORDER BY sha256")
    )
    return [(str(p), str(s), str(f)) for p, s, f in rows]


def _downgrade_one(connection: Connection) -> list[tuple[int, str | None]]:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, BEFORE)
    rows = connection.execute(
        text("SELECT announcement_id, telegram_file_id FROM announcement_photos ORDER BY 1")
    )
    found = [(int(a), f) for a, f in rows]
    command.upgrade(config, "head")
    return found


async def test_migration_moves_telegram_ids_out_of_the_photos(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        moved = await conn.run_sync(_photos_with_ids_then_upgrade)
    assert sorted(moved) == sorted(
        [("telegram", DIGEST, "AgAD-old"), ("telegram", "b" * 64, "AgAD-other")]
    )
    repo = Repository.for_engine(engine)
    assert await repo.file_ids.get("telegram", DIGEST) == "AgAD-old"
    async with engine.begin() as conn:
        back = await conn.run_sync(_downgrade_one)
    assert back == [(1, "AgAD-old"), (2, "AgAD-old"), (3, "AgAD-other"), (4, None)]
