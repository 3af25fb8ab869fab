"""`herald doctor`: settings with secrets hidden, then every check; exit 1 on any problem."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import FakeTelegram
from tests.http.support import HERALD, clean_env

TOKEN = "777006:DOCTOR-secret-token-value"
DISCORD_TOKEN = "MTIzNDU2Nzg5.DOCTOR-discord.secret"


async def doctor(env: dict[str, str], tmp_path: Path) -> tuple[int, str, str]:
    """`herald doctor` to its end (in its own process, beside the fakes on this loop)."""
    process = await asyncio.create_subprocess_exec(
        str(HERALD), "doctor", env={**env, "COLUMNS": "200"}, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 90)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_doctor_passes_against_fakes_that_accept_the_tokens(tmp_path: Path) -> None:
    discord = FakeDiscord(token=DISCORD_TOKEN)
    await discord.start()
    try:
        async with FakeTelegram(TOKEN) as fake:
            env = clean_env(
                tmp_path,
                HERALD_TELEGRAM_TOKEN=TOKEN,
                HERALD_TELEGRAM_API_URL=fake.root,
                HERALD_DISCORD_TOKEN=DISCORD_TOKEN,
                HERALD_DISCORD_API_URL=discord.api_url,
                HERALD_DATABASE_URL=f"sqlite:///{tmp_path / 'h.db'}",
            )
            await (await asyncio.create_subprocess_exec(
                str(HERALD), "db", "upgrade", env=env, cwd=tmp_path,
                stdout=asyncio.subprocess.DEVNULL,
            )).wait()  # fmt: skip
            code, out, err = await doctor(env, tmp_path)
    finally:
        await discord.close()
    assert code == 0, out + err
    assert "ok   telegram token: accepted: @herald_test_bot" in out
    assert "ok   telegram webhook: no webhook (long polling)" in out
    assert "ok   discord token: accepted" in out
    assert "ok   schema: at " in out
    assert "telegram clock" in out
    assert "HERALD_TELEGRAM_TOKEN" in out
    assert "(set, hidden)" in out
    assert TOKEN not in out + err
    assert "DOCTOR-discord" not in out + err


async def test_doctor_exits_1_when_the_fake_rejects_the_token(tmp_path: Path) -> None:
    async with FakeTelegram(TOKEN) as fake:
        env = clean_env(
            tmp_path,
            HERALD_TELEGRAM_TOKEN="777006:WRONG-doctor-token-value",
            HERALD_TELEGRAM_API_URL=fake.root,
        )
        code, out, err = await doctor(env, tmp_path)
    assert code == 1
    assert "FAIL telegram token: the Bot API at" in out
    assert "rejected HERALD_TELEGRAM_TOKEN" in out
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].endswith("problem(s) found; fix what the FAIL lines say")
    assert "WRONG-doctor" not in out + err
    assert "Traceback" not in out + err
