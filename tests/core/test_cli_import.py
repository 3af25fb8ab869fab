"""`herald import` on a real database: one line per file, the batch goes on, the exit code says.

In process (Typer's runner) rather than a subprocess, to stay fast; on SQLite, and on
PostgreSQL with -m postgres.
"""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner, Result

from bot.cli import app
from bot.cli_import import literal
from storage.engine import create_engine
from storage.models import AnnouncementRow

DATA = Path(__file__).resolve().parents[1] / "data"
SAMPLE_TEXT = (DATA / "society-post.txt").read_text(encoding="utf-8")
MIRROR_HTML = re.sub(
    r"<p>P\.S\..*?</p>", "", (DATA / "society-post.html").read_text(encoding="utf-8"),
    flags=re.DOTALL,
)  # fmt: skip


@pytest.fixture
def herald(
    engine: AsyncEngine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> CliRunner:
    """A runner with the test database (already migrated) and no HERALD_* from the machine."""
    for name in list(os.environ):
        if name.startswith("HERALD_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return CliRunner(env={"HERALD_DATABASE_URL": database_url, "HERALD_HTTP_LISTEN": "off"})


def count(database_url: str) -> int:
    """How many announcements are stored (the commands run their own event loops: so here)."""

    async def counted() -> int:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as conn:
                found = await conn.scalar(select(func.count()).select_from(AnnouncementRow))
        finally:
            await engine.dispose()
        return int(found or 0)

    return asyncio.run(counted())


def run(herald: CliRunner, *files: str) -> Result:
    """`herald import FILES`."""
    return herald.invoke(app, ["import", *files])


def test_a_batch_with_bad_files_imports_the_rest_and_exits_1(
    herald: CliRunner, database_url: str, tmp_path: Path
) -> None:
    (tmp_path / "posts[").mkdir()
    files = {
        "posts[/b]x.txt": "Markup [b]name[/b]\n\nIts body.\n",  # a name Rich read as markup
        "long.txt": SAMPLE_TEXT.replace("Category: English", "Category: " + "c" * 201),
        "late-nul.txt": SAMPLE_TEXT * 10 + "\x00",
        "post.txt": SAMPLE_TEXT,
        "post.html": MIRROR_HTML,  # the same post as post.txt
    }
    for name, content in files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    result = run(herald, *files, "missing.txt")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        "#1 new: posts[/b]x.txt",
        "#2 new: post.txt",
        "#2 updated: post.html",
        "2 new, 1 updated, 3 skipped",
    ]
    assert result.stderr.splitlines() == [
        "herald: skipped long.txt: the category is 201 characters long; "
        "at most 200 can be stored",
        "herald: skipped late-nul.txt: the file contains a NUL character (at character "
        "22,111): it looks binary, not a saved post",
        "herald: skipped missing.txt: cannot read it: No such file or directory",
    ]
    assert count(database_url) == 2


def test_importing_again_updates_and_exits_0(
    herald: CliRunner, database_url: str, tmp_path: Path
) -> None:
    (tmp_path / "post.txt").write_text(SAMPLE_TEXT, encoding="utf-8")
    first = run(herald, "post.txt")
    again = run(herald, "post.txt")
    assert (first.exit_code, again.exit_code) == (0, 0)
    assert first.stdout.splitlines()[-1] == "1 new, 0 updated, 0 skipped"
    assert again.stdout.splitlines()[-1] == "0 new, 1 updated, 0 skipped"
    assert again.stderr == ""
    assert count(database_url) == 1


def test_file_names_are_shown_as_typed_with_controls_escaped() -> None:
    assert literal("posts[/b]x.txt") == "posts[/b]x.txt"
    assert literal("Пост 1.txt") == "Пост 1.txt"
    assert literal("a\nb\x1b[31m.txt") == "a\\nb\\x1b[31m.txt"
    assert literal("bad\udcff.txt") == "bad\\udcff.txt"  # a name that is not UTF-8
