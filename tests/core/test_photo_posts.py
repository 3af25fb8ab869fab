"""Photo posts from the shell and the console: `herald post --photo`, and how deliveries print."""

from __future__ import annotations

import io
import os
import sqlite3
from pathlib import Path

import pytest
from rich.console import Console

from adapters.console.adapter import ConsoleAdapter
from bot.domain import ChatKind
from bot.formatting import Photo
from bot.ports import MessageKind, OutboundMessage, Target
from tests.core.test_cli import herald
from tests.images import png
from tests.telegram.recording_core import RecordingCore


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """Its own SQLite database, no platform tokens."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
    clean["HERALD_DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.db'}"
    clean["XDG_DATA_HOME"] = str(tmp_path)
    clean["HERALD_HTTP_LISTEN"] = "off"  # many checkouts run tests on this machine
    return clean


@pytest.fixture
def post_file(tmp_path: Path) -> Path:
    path = tmp_path / "post.txt"
    path.write_text("Founding day\nThe society was founded in 1990.\n", encoding="utf-8")
    return path


def _photo_rows(tmp_path: Path) -> int:
    with sqlite3.connect(tmp_path / "cli.db") as db:
        return int(db.execute("SELECT count(*) FROM announcement_photos").fetchone()[0])


def test_post_with_a_photo(env: dict[str, str], post_file: Path, tmp_path: Path) -> None:
    image = tmp_path / "Founding Day (1990).png"
    image.write_bytes(png())
    result = herald("post", "--file", str(post_file), "--photo", str(image), env=env)
    assert result.returncode == 0, result.stderr
    assert "Announcement #1 published" in result.stdout
    assert "📷" in result.stdout
    with sqlite3.connect(tmp_path / "cli.db") as db:
        name, mime, size = db.execute(
            "SELECT file_name, mime_type, size FROM announcement_photos"
        ).fetchone()
    assert (name, mime, size) == ("Founding_Day_1990.png", "image/png", len(png()))
    assert "📷" in herald("show", "1", env=env).stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read the photo"),
        (b"", "is empty"),
        (b"%PDF-1.7\n", "is not a JPEG, PNG, WebP or GIF image"),
        (b"TOO LARGE", "is larger than 10 MB"),
    ],
)
def test_bad_photos_exit_2_and_write_nothing(
    env: dict[str, str], post_file: Path, tmp_path: Path, content: bytes | None, message: str
) -> None:
    image = tmp_path / "image.bin"
    if content == b"TOO LARGE":
        with image.open("wb") as handle:  # sparse: 10 MB and one byte, never read
            handle.truncate(10 * 1024 * 1024 + 1)
    elif content is not None:
        image.write_bytes(content)
    result = herald("post", "--file", str(post_file), "--photo", str(image), env=env)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "cli.db").exists() or _photo_rows(tmp_path) == 0


async def test_console_deliveries_name_the_photo() -> None:
    screen = io.StringIO()
    console = ConsoleAdapter(RecordingCore(), console=Console(file=screen, width=100), user="me")
    photo = Photo(png(pad=3000), "image/png", "meeting.png")
    message = OutboundMessage(MessageKind.ANNOUNCEMENT, "Meeting", "Room 101", photo=photo)
    await console.send(Target("console", ChatKind.CONSOLE), message, key="k")
    assert "[photo: meeting.png, 3 KB]" in screen.getvalue()
