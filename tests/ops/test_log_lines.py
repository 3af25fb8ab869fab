"""What reaches the terminal of `herald run`: no traceback for expected conditions or by default.

Expected conditions (bad input, a platform refusing, a timeout) are answered or logged as one
line without a traceback; an unexpected bug is one ERROR line naming the exception, with the
traceback only at HERALD_LOG_LEVEL=DEBUG or in the JSON log.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.logs import configure_logging
from bot.settings import Settings
from tests.http.support import HERALD


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:], root.level = handlers, level


def log_a_bug(settings: Settings) -> None:
    configure_logging(settings)
    try:
        raise ValueError("a bug with token 515151:SECRET-token-value-long-enough")
    except ValueError:
        logging.getLogger("bot.commands.router").exception("command /post from console failed")


@pytest.mark.usefixtures("restore_logging")
def test_a_bug_is_one_line_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    token = "515151:SECRET-token-value-long-enough"
    log_a_bug(Settings(_env_file=None, log_level="INFO", telegram_token=token))
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    assert " ERROR bot.commands.router: command /post from console failed (ValueError: " in lines[0]
    assert "SECRET" not in lines[0]


@pytest.mark.usefixtures("restore_logging")
def test_the_traceback_at_debug_level(capsys: pytest.CaptureFixture[str]) -> None:
    log_a_bug(Settings(_env_file=None, log_level="DEBUG"))
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert "ValueError: a bug" in err


@pytest.mark.usefixtures("restore_logging")
def test_the_traceback_in_the_json_log(capsys: pytest.CaptureFixture[str]) -> None:
    log_a_bug(Settings(_env_file=None, log_format="json"))
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["level"] == "ERROR"
    assert "Traceback (most recent call last)" in entry["exception"]


def test_bad_input_in_the_console_logs_nothing(tmp_path: Path) -> None:
    """`herald run` with no platform: the console answers bad input; the log stays quiet."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
    env.update(
        HERALD_DATABASE_URL=f"sqlite:///{tmp_path / 'herald.db'}",
        HERALD_HTTP_LISTEN="off",
        XDG_DATA_HOME=str(tmp_path),
    )
    lines = [
        # PostgreSQL cannot store a NUL, and SQLite was refused it in storage: a traceback.
        "/post",
        "Title",
        "A NUL\x00 in the body",
        ".",
        "/anniversary add 1945-08-15 ٠٩:٣٠ Liberation",
        "/schedule 1 0001-01-01 00:00",
        "/subscribe " + "word " * 400,
        "/show 99999999999999999999999",
    ]
    result = subprocess.run(
        [str(HERALD), "run"],
        input="\n".join(lines) + "\n",
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert " ERROR " not in result.stderr, result.stderr
    assert "Something went wrong" not in result.stdout, result.stdout
    assert "NUL character" in result.stdout
