"""A process with nothing to do says so: every token rejected, or a worker with no platform."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.fakes.telegram_api import FakeTelegram
from tests.http.support import HERALD, clean_env, free_port

TOKEN = "777003:NOTHING-secret-token-value"
WRONG = "777003:WRONG-secret-token-value"


async def herald(env: dict[str, str], tmp_path: Path, *args: str) -> tuple[int, str, str]:
    """Run `herald ARGS` to its end: exit code, stdout, stderr."""
    process = await asyncio.create_subprocess_exec(
        str(HERALD), *args, env=env, cwd=tmp_path, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 90)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.mark.slow
@pytest.mark.parametrize("role", ["all", "worker"])
async def test_every_token_rejected_exits_1_with_one_line(tmp_path: Path, role: str) -> None:
    async with FakeTelegram(TOKEN) as fake:
        env = clean_env(
            tmp_path,
            HERALD_TELEGRAM_TOKEN=WRONG,
            HERALD_TELEGRAM_API_URL=fake.root,
            HERALD_HTTP_LISTEN=f"127.0.0.1:{free_port()}",
            HERALD_LOG_LEVEL="CRITICAL",
        )
        code, out, err = await herald(env, tmp_path, "run", "--role", role)
    assert code == 1
    assert err.strip().splitlines() == [
        "herald: every configured platform rejected its token: "
        "telegram (HERALD_TELEGRAM_TOKEN); nothing to do"
    ]
    assert "Traceback" not in out + err
    assert "WRONG-secret" not in out + err


@pytest.mark.slow
async def test_a_worker_with_no_platform_exits_2_with_one_line(tmp_path: Path) -> None:
    env = clean_env(tmp_path, HERALD_LOG_LEVEL="CRITICAL")
    code, out, err = await herald(env, tmp_path, "run", "--role", "worker")
    assert code == 2
    assert err.strip().splitlines() == [
        "herald: a worker delivers to Telegram or Discord, and neither is configured: "
        "set HERALD_TELEGRAM_TOKEN or HERALD_DISCORD_TOKEN"
    ]
    assert "Traceback" not in out + err
