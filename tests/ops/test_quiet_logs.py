"""`herald run` logs one startup line, no library chatter, and no error on a normal stop."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path

import pytest

from storage.migrate import head_revision
from tests.fakes.telegram_api import FakeTelegram
from tests.http.support import HERALD

TOKEN = "515151:QUIET-secret-token-value"


async def run_and_stop(
    tmp_path: Path, *, final_poll_fails: bool = False, **settings: str
) -> tuple[int, str]:
    """`herald run` against the fake Bot API until it long-polls, then SIGTERM; code and log."""
    async with FakeTelegram(TOKEN) as fake:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
        env.update(
            HERALD_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'herald.db'}",
            HERALD_TELEGRAM_TOKEN=TOKEN,
            HERALD_TELEGRAM_API_URL=fake.root,
            HERALD_HTTP_LISTEN="off",
            **settings,
        )
        log_path = tmp_path / "herald.log"
        with log_path.open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                str(HERALD), "run", env=env, cwd=tmp_path, stdout=log, stderr=log
            )
            try:
                await fake.wait_until(lambda: bool(fake.calls("getUpdates")), within=30)
                await asyncio.sleep(0.3)  # the long poll is in flight
                if final_poll_fails:
                    # The getUpdates python-telegram-bot sends while stopping fails.
                    fake.fail("getUpdates", "server_error", times=None)
            finally:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
                code = await asyncio.wait_for(process.wait(), 30)
    return code, log_path.read_text(encoding="utf-8", errors="replace")


@pytest.mark.slow
async def test_one_startup_line_and_a_quiet_stop(tmp_path: Path) -> None:
    code, output = await run_and_stop(tmp_path, final_poll_fails=True)
    assert code == 0, output
    lines = output.strip().splitlines()
    startup = [line for line in lines if "Herald running" in line]
    assert len(startup) == 1, output
    assert f"schema {head_revision()}" in startup[0]
    assert "platforms telegram" in startup[0]
    for noisy in ("alembic", "apscheduler", "httpx", "Traceback", " ERROR "):
        assert noisy not in output, output
    assert TOKEN not in output
    assert "the last getUpdates while stopping failed" in output, output


@pytest.mark.slow
async def test_json_logs_are_one_object_per_line(tmp_path: Path) -> None:
    code, output = await run_and_stop(tmp_path, HERALD_LOG_FORMAT="json")
    assert code == 0, output
    entries = [json.loads(line) for line in output.strip().splitlines()]
    assert {"time", "level", "logger", "message"} <= set(entries[0])
    assert any(e["message"].startswith("Herald running") for e in entries)
    assert all(e["level"] in ("INFO", "WARNING") for e in entries), output
