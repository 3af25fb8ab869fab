"""`herald run` and `herald discord sync` as subprocesses against the fake Discord."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.discord_api import FakeDiscord

TOKEN = "MTIzNDU2Nzg5.SUBPROCESS-discord-secret.token"
HERALD = Path(sys.executable).with_name("herald")


def environment(fake: FakeDiscord, tmp_path: Path) -> dict[str, str]:
    admin = next(iter(fake.guilds.values())).members[0]
    env = {
        **os.environ,
        "HERALD_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'herald.db'}",
        "HERALD_DISCORD_TOKEN": TOKEN,
        "HERALD_DISCORD_API_URL": fake.api_url,
        "HERALD_DISCORD_GATEWAY_URL": fake.gateway_url,
        "HERALD_ADMINS": f"discord:{admin.id}",
        "HERALD_LOG_LEVEL": "DEBUG",
    }
    env.pop("HERALD_TELEGRAM_TOKEN", None)
    return env


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """A fake Discord that expects the subprocess's token."""
    server = FakeDiscord(token=TOKEN)
    server.add_guild("Society")
    await server.start()
    try:
        yield server
    finally:
        await server.close()


@pytest.mark.slow
async def test_herald_run_then_sync_from_the_shell(fake: FakeDiscord, tmp_path: Path) -> None:
    guild = next(iter(fake.guilds.values()))
    admin, member = guild.members
    general = guild.channel("general")
    env = environment(fake, tmp_path)
    log_path = tmp_path / "herald.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            str(HERALD), "run", env=env, cwd=tmp_path, stdout=log, stderr=log
        )
        try:
            await fake.wait_until(lambda: bool(fake.command_syncs), seconds=30)
            await fake.reply_to(
                await fake.slash("subscribe", user=member, channel=general, admin=True),
                seconds=10,
            )
            opened = await fake.answered(await fake.slash("post", user=admin, channel=general))
            values = {"title": "From the shell", "body": "A real process."}
            done = await fake.reply_to(await fake.submit_modal(opened, values, user=admin))
            assert "published" in done.content
            await fake.wait_until(
                lambda: any(m.embeds for m in fake.channel_messages(general.id)), seconds=10
            )
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(process.wait(), 30)
    output = log_path.read_text(encoding="utf-8", errors="replace")
    assert code == 0, output[-2000:]
    assert TOKEN not in output
    assert "SUBPROCESS-discord-secret" not in output
    assert fake.command_syncs == [None]

    sync = await asyncio.create_subprocess_exec(
        str(HERALD),
        "discord",
        "sync",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(sync.communicate(), 30)
    text = out.decode()
    assert sync.returncode == 0, text
    assert f"{len(fake.commands[None])} commands synced" in text
    assert TOKEN not in text
    assert fake.command_syncs == [None, None]
    assert not fake.sessions
