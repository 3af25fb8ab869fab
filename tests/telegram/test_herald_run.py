"""`herald run` as a subprocess against the fake Bot API: commands, a broadcast, a clean stop."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.fakes.telegram_api import FakeTelegram

TOKEN = "424242:SUBPROCESS-secret-token-value"
HERALD = Path(sys.executable).with_name("herald")


@pytest.mark.slow
async def test_herald_run_serves_telegram_and_stops_cleanly(tmp_path: Path) -> None:
    async with FakeTelegram(TOKEN) as fake:
        env = {
            **os.environ,
            "HERALD_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'herald.db'}",
            "HERALD_TELEGRAM_TOKEN": TOKEN,
            "HERALD_TELEGRAM_API_URL": fake.root,
            "HERALD_ADMINS": "telegram:1",
            "HERALD_LOG_LEVEL": "DEBUG",
        }
        env.pop("HERALD_DISCORD_TOKEN", None)
        log_path = tmp_path / "herald.log"
        with log_path.open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                str(HERALD), "run", env=env, cwd=tmp_path, stdout=log, stderr=log
            )
            try:
                await fake.wait_until(lambda: bool(fake.calls("getUpdates")), within=30)
                assert {lang for (_, lang) in fake.commands} == {"", "ru", "ko"}
                fake.send_text(10, "/subscribe Korea")
                assert "Subscribed" in (await fake.next_message(10, within=10)).text
                fake.send_text(1, "/post Liberation Day\nWe remember.\nTags: Korea")
                assert "published" in (await fake.next_message(1, within=10)).text
                announcement = await fake.next_message(10, within=10)
                assert announcement.text.startswith("Liberation Day\n\nWe remember.")
            finally:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
                code = await asyncio.wait_for(process.wait(), 30)
    output = log_path.read_text(encoding="utf-8", errors="replace")
    assert code == 0, output[-2000:]
    assert "connected as @herald_test_bot" in output
    assert TOKEN not in output
    assert "SUBPROCESS-secret" not in output
