"""`herald run --role worker` as a real process: delivers what the shell posts, never receives."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.app import open_herald
from bot.commands.types import Command
from bot.domain import ChatKind
from bot.settings import Settings
from storage.engine import create_engine
from storage.migrate import upgrade
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import FakeTelegram

ROOT = Path(__file__).resolve().parents[1]
TELEGRAM_TOKEN = "515151:WORKER-telegram-secret"
DISCORD_TOKEN = "MTIzNDU2Nzg5.WORKER-discord-secret.token"
PRIVATE_CHATS = range(100, 112)
GROUP = -4242
# What only a receiving Telegram process may call: a second poller on one token gets 409.
RECEIVING = ("getUpdates", "setWebhook", "deleteWebhook", "setMyCommands")


def read(path: Path) -> str:
    """A log file's text."""
    return path.read_text(encoding="utf-8", errors="replace")


def base_env(tmp_path: Path) -> dict[str, str]:
    """The environment without any Herald settings of the machine, on a fresh SQLite file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
    env["HERALD_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'herald.db'}"
    env["HERALD_LOG_LEVEL"] = "INFO"
    env["HERALD_HTTP_LISTEN"] = "off"  # many of these run at once on this machine
    env["PYTHONPATH"] = str(ROOT)
    return env


async def seed(env: dict[str, str], commands: list[Command]) -> None:
    """Subscribe chats through the real core, as the receiving process would have."""
    herald = await open_herald(Settings(database_url=env["HERALD_DATABASE_URL"]))
    try:
        for command in commands:
            reply = await herald.router.handle(command)
            assert reply is not None
            assert "Subscribed" in reply.plain(), reply.plain()
    finally:
        await herald.close()


async def sent_rows(env: dict[str, str]) -> dict[str, int]:
    """Delivery rows per state."""
    herald = await open_herald(Settings(database_url=env["HERALD_DATABASE_URL"]))
    try:
        async with herald.repository.sessions() as db:
            rows = await db.execute(text("SELECT state, count(*) FROM deliveries GROUP BY state"))
            return {str(state): int(count) for state, count in rows}
    finally:
        await herald.close()


async def cli_post(env: dict[str, str], tmp_path: Path, name: str, body: str) -> str:
    """`herald post --file F` in its own process; returns its output."""
    path = tmp_path / f"{name}.txt"
    path.write_text(body, encoding="utf-8")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "post", "--file", str(path),
        env=env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    output = out.decode(errors="replace")
    assert process.returncode == 0, output
    return output


@asynccontextmanager
async def worker(
    env: dict[str, str], log_path: Path, role: str = "worker"
) -> AsyncIterator[Callable[[], int | None]]:
    """A running `herald run --role ROLE`; SIGTERM on the way out, which must exit 0."""
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", "--role", role,
            env=env, cwd=log_path.parent, stdout=log, stderr=log,
        )  # fmt: skip
        try:
            yield lambda: process.returncode
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(process.wait(), 30)
    output = read(log_path)
    assert code == 0, output[-3000:]


@pytest.mark.slow
async def test_telegram_worker_delivers_every_post_once_and_never_polls(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    async with FakeTelegram(TELEGRAM_TOKEN) as fake:
        fake.add_chat(GROUP, "group", title="Society group")
        subscribe = [
            Command("telegram", str(chat), ChatKind.PRIVATE, str(chat), "/subscribe")
            for chat in PRIVATE_CHATS
        ]
        subscribe.append(
            Command("telegram", str(GROUP), ChatKind.GROUP, "7", "/subscribe Korea",
                    is_chat_admin=True)
        )  # fmt: skip
        await seed(env, subscribe)
        env["HERALD_TELEGRAM_TOKEN"] = TELEGRAM_TOKEN
        env["HERALD_TELEGRAM_API_URL"] = fake.root
        log_path = tmp_path / "worker.log"
        async with worker(env, log_path) as returncode:
            await fake.wait_until(lambda: bool(fake.calls("getMe")), within=30)
            await cli_post(env, tmp_path, "first", "Liberation Day\nWe remember.\nTags: Korea")
            await cli_post(env, tmp_path, "second", "Concert\nSaturday at six.\nTags: Music")
            everyone = [*PRIVATE_CHATS, GROUP]

            def delivered() -> bool:
                return all(len(fake.sent_to(chat)) == 2 for chat in PRIVATE_CHATS) and bool(
                    fake.sent_to(GROUP)
                )

            await fake.wait_until(delivered, within=30)
            assert returncode() is None
            for chat in PRIVATE_CHATS:
                texts = [m.text for m in fake.sent_to(chat, include_deleted=True)]
                assert [t.split("\n")[0] for t in texts] == ["Liberation Day", "Concert"], chat
            group = [m.text for m in fake.sent_to(GROUP, include_deleted=True)]
            assert [t.split("\n")[0] for t in group] == ["Liberation Day"]
            assert len(fake.all_sent()) == 2 * len(PRIVATE_CHATS) + 1
            assert {m.chat_id for m in fake.all_sent()} == set(everyone)
        # After a clean stop every result is recorded: nothing left to send again.
        assert await sent_rows(env) == {"sent": 2 * len(PRIVATE_CHATS) + 1}
    for method in RECEIVING:
        assert fake.calls(method) == [], method
    output = read(log_path)
    assert "sending only" in output
    assert "role worker" in output
    assert TELEGRAM_TOKEN not in output


@pytest.mark.slow
async def test_worker_beside_the_polling_process_on_one_token(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    # Migrated first: two processes creating one fresh SQLite schema at once race each other.
    await seed(env, [])
    async with FakeTelegram(TELEGRAM_TOKEN) as fake:
        env["HERALD_TELEGRAM_TOKEN"] = TELEGRAM_TOKEN
        env["HERALD_TELEGRAM_API_URL"] = fake.root
        env["HERALD_ADMINS"] = "telegram:1"
        async with (
            worker(env, tmp_path / "main.log", role="all"),
            worker(env, tmp_path / "worker.log"),
        ):
            await fake.wait_until(
                lambda: bool(fake.calls("getUpdates")) and len(fake.calls("getMe")) >= 2,
                within=30,
            )
            for chat in PRIVATE_CHATS:
                fake.send_text(chat, "/subscribe")
                assert "Subscribed" in (await fake.next_message(chat, within=10)).text
            fake.send_text(1, "/post Liberation Day\nWe remember.\nTags: Korea")
            answer = (await fake.next_message(1, within=10)).text
            assert f"goes to {len(PRIVATE_CHATS)} chats" in answer
            await fake.wait_until(
                lambda: all(len(fake.sent_to(chat)) == 2 for chat in PRIVATE_CHATS), within=30
            )
        assert await sent_rows(env) == {"sent": len(PRIVATE_CHATS)}
    for chat in PRIVATE_CHATS:
        _answer, announcement = fake.sent_to(chat, include_deleted=True)
        assert announcement.text.startswith("Liberation Day"), chat
    # Exactly one process polled: its long polls never overlapped (two would get 409).
    assert fake.calls("getUpdates")
    assert fake.poll_conflicts == 0
    assert len(fake.calls("setMyCommands")) == 3
    assert "sending only" in read(tmp_path / "worker.log")
    assert "long polling" in read(tmp_path / "main.log")


@pytest.mark.slow
@pytest.mark.postgres
async def test_three_workers_on_postgresql_share_the_rate_and_send_once(
    pg_database: str, tmp_path: Path
) -> None:
    env = base_env(tmp_path)
    env["HERALD_DATABASE_URL"] = pg_database
    engine = create_engine(pg_database)
    try:
        await upgrade(engine)  # what `herald db upgrade` does before the first start
    finally:
        await engine.dispose()
    chats = range(1000, 1060)
    await seed(
        env, [Command("telegram", str(c), ChatKind.PRIVATE, str(c), "/subscribe") for c in chats]
    )
    # The fake enforces Telegram's 30 per second: three workers pacing at a third each.
    async with FakeTelegram(TELEGRAM_TOKEN, enforce_limits=True) as fake:
        env["HERALD_TELEGRAM_TOKEN"] = TELEGRAM_TOKEN
        env["HERALD_TELEGRAM_API_URL"] = fake.root
        env["HERALD_DELIVERY_PROCESSES"] = "3"
        logs = [tmp_path / f"worker{i}.log" for i in range(3)]
        async with worker(env, logs[0]), worker(env, logs[1]), worker(env, logs[2]):
            await fake.wait_until(lambda: len(fake.calls("getMe")) == 3, within=30)
            await cli_post(env, tmp_path, "first", "Liberation Day\nWe remember.\nTags: Korea")
            await fake.wait_until(lambda: len(fake.all_sent()) >= len(chats), within=30)
        assert await sent_rows(env) == {"sent": len(chats)}
    assert sorted(m.chat_id for m in fake.all_sent()) == list(chats)
    assert fake.rate_limited == 0
    for method in RECEIVING:
        assert fake.calls(method) == [], method
    assert all("sending only" in read(log) for log in logs)


@pytest.mark.slow
async def test_discord_worker_sends_over_rest_without_the_gateway(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    fake = FakeDiscord(token=DISCORD_TOKEN)
    guild = fake.add_guild("Society")
    general, news = guild.channel("general"), guild.channel("news")
    await fake.start()
    try:
        member = guild.members[1]
        await seed(
            env,
            [
                Command("discord", str(channel.id), ChatKind.GUILD_CHANNEL, str(member.id),
                        "/subscribe", is_chat_admin=True)
                for channel in (general, news)
            ],
        )  # fmt: skip
        env["HERALD_DISCORD_TOKEN"] = DISCORD_TOKEN
        env["HERALD_DISCORD_API_URL"] = fake.api_url
        env["HERALD_DISCORD_GATEWAY_URL"] = fake.gateway_url
        log_path = tmp_path / "worker.log"
        async with worker(env, log_path):
            await fake.wait_until(
                lambda: any(path == "/users/@me" for _, path, _ in fake.requests), seconds=30
            )
            await cli_post(env, tmp_path, "first", "Liberation Day\nWe remember.\nTags: Korea")

            def delivered() -> bool:
                return all(fake.channel_messages(c.id) for c in (general, news)) and all(
                    m.crossposted for m in fake.channel_messages(news.id)
                )

            await fake.wait_until(delivered, seconds=30)
        assert await sent_rows(env) == {"sent": 2}
        assert [len(fake.channel_messages(c.id)) for c in (general, news)] == [1, 1]
        assert fake.gateway_queries == []
        assert fake.sessions == []
        assert fake.command_syncs == []
        paths = {path for _, path, _ in fake.requests}
        assert not any(path.startswith("/gateway") for path in paths), paths
    finally:
        await fake.close()
    output = read(log_path)
    assert "sending only" in output
    assert DISCORD_TOKEN not in output
