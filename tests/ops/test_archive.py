"""`herald export` / `herald restore`: moving house between SQLite and PostgreSQL loses nothing."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from bot.app import open_herald
from bot.archive import ArchiveError
from bot.commands.types import Command
from bot.settings import Settings
from storage.archive import DatabaseArchive
from storage.engine import create_engine
from tests.images import png
from tests.ops.seed import OWNER, counts, seed_society, telegram


def sqlite_url(tmp_path: Path, name: str) -> str:
    """A SQLite file that does not exist yet."""
    return f"sqlite+aiosqlite:///{tmp_path / name}"


async def export(url: str, path: Path) -> None:
    """Export the database at `url` to `path`."""
    engine = create_engine(url)
    try:
        await DatabaseArchive(engine).export(path)
    finally:
        await engine.dispose()


async def restore(url: str, path: Path) -> None:
    """Restore `path` into the database at `url`."""
    engine = create_engine(url)
    try:
        await DatabaseArchive(engine).restore(path)
    finally:
        await engine.dispose()


def contents(path: Path) -> dict[str, bytes]:
    """Every member of an archive; the manifest without its export time."""
    with tarfile.open(path, "r:gz") as archive:
        found = {}
        for member in archive.getmembers():
            handle = archive.extractfile(member)
            assert handle is not None
            found[member.name] = handle.read()
    manifest = json.loads(found["manifest.json"])
    del manifest["exported_at"]
    found["manifest.json"] = json.dumps(manifest, sort_keys=True).encode()
    return found


async def show(url: str, command: Command) -> str:
    """The reply to one command against the database at `url`."""
    herald = await open_herald(Settings(database_url=url, admins=f"telegram:{OWNER}"))
    try:
        reply = await herald.router.handle(command)
        assert reply is not None
        return reply.plain()
    finally:
        await herald.close()


async def check_round_trip(tmp_path: Path, middle: str) -> None:
    source = sqlite_url(tmp_path, "source.db")
    await seed_society(source)
    first, second, third = (tmp_path / f"{n}.tar.gz" for n in ("one", "two", "three"))
    await export(source, first)
    await restore(middle, first)
    await export(middle, second)
    back = sqlite_url(tmp_path, "back.db")
    await restore(back, second)
    await export(back, third)
    assert contents(first) == contents(second) == contents(third)
    assert await counts(back) == await counts(source)
    for url in (middle, back):
        # Formatting, the photo and the subscriptions work after the move.
        herald = await open_herald(Settings(database_url=url))
        try:
            post = await herald.repository.announcements.get(1)
            assert post is not None
            assert [run.style.value for run in post.body_styles] == ["bold", "link"]
            assert post.body_styles[1].url == "https://example.org/?a=1&b=2"
            assert post.has_photo
            photo = await herald.repository.announcements.photo(1)
            assert photo is not None
            assert photo.data == png(3, 2)
        finally:
            await herald.close()
        assert "Korea" in await show(url, telegram("10", "10", "/subscriptions"))
        # New rows get fresh ids after the restored ones.
        reply = await show(url, telegram(OWNER, OWNER, "/post Third\nAfter the move."))
        assert "#3" in reply or " 3" in reply, reply


async def test_sqlite_to_sqlite_and_back_gives_the_same_archive(tmp_path: Path) -> None:
    await check_round_trip(tmp_path, sqlite_url(tmp_path, "middle.db"))


@pytest.mark.postgres
async def test_sqlite_to_postgresql_and_back_gives_the_same_archive(
    tmp_path: Path, pg_database: str
) -> None:
    await check_round_trip(tmp_path, pg_database)


async def test_restore_refuses_a_database_with_rows(tmp_path: Path) -> None:
    source = sqlite_url(tmp_path, "source.db")
    await seed_society(source)
    archive = tmp_path / "a.tar.gz"
    await export(source, archive)
    before = await counts(source)
    with pytest.raises(ArchiveError, match="restore needs an empty database"):
        await restore(source, archive)
    assert await counts(source) == before


def _rewrite(path: Path, change: dict[str, bytes | None]) -> None:
    """Replace (or drop, with None) members of an archive."""
    with tarfile.open(path, "r:gz") as archive:
        members = {}
        for member in archive.getmembers():
            handle = archive.extractfile(member)
            assert handle is not None
            members[member.name] = handle.read()
    for name, data in change.items():
        if data is None:
            members.pop(name, None)
        else:
            members[name] = data
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("not an archive", "is not a Herald archive"),
        ("no manifest", "manifest.json is missing"),
        ("future format", "archive format 99"),
        ("unknown schema", "does not know"),
        ("bad line", "tables/chats.jsonl line 2 is not JSON"),
        ("unknown column", "has no column 'colour'"),
        ("wrong photo", "does not match its checksum"),
        ("missing rows", "the manifest says"),
    ],
)
async def test_a_damaged_archive_is_refused_and_nothing_is_written(
    tmp_path: Path, damage: str, message: str
) -> None:
    source = sqlite_url(tmp_path, "source.db")
    await seed_society(source)
    path = tmp_path / "a.tar.gz"
    await export(source, path)
    manifest = json.loads(contents(path)["manifest.json"])
    chats = contents(path)["tables/chats.jsonl"].decode().splitlines()
    photo = next(name for name in contents(path) if name.startswith("files/"))
    if damage == "not an archive":
        path.write_bytes(b"hello")
    elif damage == "no manifest":
        _rewrite(path, {"manifest.json": None})
    elif damage == "future format":
        _rewrite(path, {"manifest.json": json.dumps({**manifest, "version": 99}).encode()})
    elif damage == "unknown schema":
        _rewrite(path, {"manifest.json": json.dumps({**manifest, "schema": "9999"}).encode()})
    elif damage == "bad line":
        chats[1] = "{oops"
        _rewrite(path, {"tables/chats.jsonl": "\n".join(chats).encode()})
    elif damage == "unknown column":
        row = json.loads(chats[0]) | {"colour": "red"}
        _rewrite(path, {"tables/chats.jsonl": "\n".join([json.dumps(row), *chats[1:]]).encode()})
    elif damage == "wrong photo":
        _rewrite(path, {photo: b"not the photo"})
    elif damage == "missing rows":
        _rewrite(path, {"tables/chats.jsonl": "\n".join(chats[1:]).encode()})
    target = sqlite_url(tmp_path, "target.db")
    with pytest.raises(ArchiveError, match=message):
        await restore(target, path)
    engine = create_engine(target)
    try:
        async with engine.connect() as conn:
            from sqlalchemy import text

            tables = (
                await conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))
            ).scalars().all()
            assert "announcements" not in tables, "a failed restore left a schema behind"
    finally:
        await engine.dispose()
