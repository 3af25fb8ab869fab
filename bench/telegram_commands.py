"""How many commands per second `herald run` answers on Telegram, next to a bare PTB bot.

Runs the fake Bot API in this process and each bot as its own process, on the same fake, one
after the other: N distinct users each send `/tag Korea` at once; the time is from injecting
the updates to the fake having received the N-th answer.

    .venv/bin/python bench/telegram_commands.py [-n 2000] [--latency-ms 0]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.commands.types import Command  # noqa: E402
from bot.domain import ChatRef  # noqa: E402
from bot.ports import CommandInfo  # noqa: E402
from bot.replies import Reply, text_reply  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram  # noqa: E402

TOKEN = "777777:BENCH-token-not-secret"
ADMIN = 1
FIXED = "Announcements with the tag #Korea: 1. Liberation Day"


@dataclass
class Row:
    """One measured bot."""

    name: str
    answered: int
    seconds: float

    @property
    def rate(self) -> float:
        """Commands answered per second."""
        return self.answered / self.seconds if self.seconds else 0.0


SELF = str(Path(__file__).resolve())


def bare_bot(root: str, transport: str, concurrent: bool) -> None:
    """A bare python-telegram-bot bot answering /tag with a fixed text (runs in a subprocess)."""
    from telegram import Update
    from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

    builder = ApplicationBuilder().token(TOKEN).base_url(root + "/bot")
    if transport == "aiohttp":
        from adapters.telegram.transport import AiohttpRequest

        builder = builder.request(AiohttpRequest(connection_pool_size=64))
    else:
        builder = builder.connection_pool_size(64)
    application = builder.concurrent_updates(concurrent).build()

    async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        await context.bot.send_message(update.effective_chat.id, FIXED)

    application.add_handler(CommandHandler("tag", answer))
    application.run_polling(timeout=10, close_loop=False)


class FixedCore:
    """A Core that answers every command with the bare bot's fixed text: adapter cost only."""

    async def handle(self, command: Command) -> Reply | None:
        """The fixed answer."""
        return text_reply(FIXED)

    async def chat_joined(self, chat: ChatRef) -> None:
        """Ignored."""

    async def chat_left(self, chat: ChatRef, reason: str) -> None:
        """Ignored."""

    async def chat_migrated(self, chat: ChatRef, new_external_id: str) -> None:
        """Ignored."""

    def commands(self, language: str) -> list[CommandInfo]:
        """One command."""
        return [CommandInfo("tag", "Announcements with a tag")]

    async def tag_names(self, prefix: str, limit: int = 25) -> list[str]:
        """None."""
        return []

    async def get_state(self, key: str) -> str | None:
        """Nothing stored."""
        return None

    async def set_state(self, key: str, value: str) -> None:
        """Not stored."""


async def adapter_only(root: str) -> None:
    """Herald's TelegramAdapter around FixedCore until SIGTERM (runs in a subprocess)."""
    from adapters.telegram.adapter import TelegramAdapter
    from adapters.telegram.config import TelegramConfig

    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    adapter = TelegramAdapter(FixedCore(), TelegramConfig(token=TOKEN, api_url=root))
    await adapter.start()
    await stop.wait()
    await adapter.stop()


async def measure(
    fake: FakeTelegram, name: str, command: list[str], env: dict[str, str], n: int, first: int
) -> Row:
    """Start one bot, wait until it polls, send N commands from N users, time the answers."""
    process = await asyncio.create_subprocess_exec(
        *command, env=env, cwd=ROOT, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        polls = len(fake.calls("getUpdates"))
        await fake.wait_until(lambda: len(fake.calls("getUpdates")) > polls, within=60)
        users = range(first, first + n)
        goal = fake.sent_count + n
        started = time.perf_counter()
        for user in users:
            fake.send_text(user, "/tag Korea")
        await fake.wait_until(lambda: fake.sent_count >= goal, within=600)
        seconds = time.perf_counter() - started
        answered = sum(1 for user in users if fake.sent_to(user))
        return Row(name, answered, seconds)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()


async def prepare_herald(fake: FakeTelegram, env: dict[str, str]) -> None:
    """Publish a few announcements tagged Korea through a short-lived `herald run`."""
    herald = Path(sys.executable).with_name("herald")
    process = await asyncio.create_subprocess_exec(
        str(herald), "run", env=env, cwd=ROOT, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await fake.wait_until(lambda: bool(fake.calls("getUpdates")), within=60)
        for i in range(12):
            fake.send_text(ADMIN, f"/post Announcement {i}\nText number {i}.\nTags: Korea")
            await fake.next_message(ADMIN, within=30)
    finally:
        process.send_signal(signal.SIGTERM)
        await process.wait()


async def main() -> None:
    """Run every bot on one fake and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="users, one command each")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="fake latency per request")
    args = parser.parse_args()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeTelegram(TOKEN, latency=args.latency_ms / 1000) as fake:
            env = {
                **os.environ,
                "PYTHONPATH": str(ROOT),
                "HERALD_DATABASE_URL": f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}",
                "HERALD_TELEGRAM_TOKEN": TOKEN,
                "HERALD_TELEGRAM_API_URL": fake.root,
                "HERALD_ADMINS": f"telegram:{ADMIN}",
                "HERALD_LOG_LEVEL": "WARNING",
            }
            env.pop("HERALD_DISCORD_TOKEN", None)
            await prepare_herald(fake, env)
            me = [sys.executable, SELF]
            herald = [str(Path(sys.executable).with_name("herald")), "run"]
            bots = [
                ("bare PTB (httpx; updates one by one, PTB's default)", [*me, "--bare", "httpx"]),
                ("bare PTB (httpx; concurrent updates)", [*me, "--bare", "httpx-concurrent"]),
                ("bare PTB (aiohttp transport; concurrent updates)", [*me, "--bare", "aiohttp"]),
                ("Herald's Telegram adapter, fixed-answer core", [*me, "--adapter-only", "-"]),
                ("herald run (SQLite)", herald),
            ]
            first = 1000
            for name, command in bots:
                rows.append(await measure(fake, name, command, env, args.n, first))
                first += args.n
    best_bare = max(row.rate for row in rows[:3])
    print(f"# Telegram commands: {args.n} users x `/tag Korea`, fake latency "
          f"{args.latency_ms:g} ms")
    print(f"# {platform.node()} · {platform.processor() or platform.machine()} · "
          f"{os.cpu_count()} CPUs · Python {platform.python_version()} · "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print()
    print("| bot | answered | seconds | commands/s | vs best bare bot |")
    print("|---|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row.name} | {row.answered} | {row.seconds:.2f} | {row.rate:.0f} | "
              f"{row.rate / best_bare:.2f} |")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--bare":
        transport = "aiohttp" if sys.argv[2] == "aiohttp" else "httpx"
        bare_bot(os.environ["HERALD_TELEGRAM_API_URL"], transport, sys.argv[2] != "httpx")
    elif len(sys.argv) == 3 and sys.argv[1] == "--adapter-only":
        asyncio.run(adapter_only(os.environ["HERALD_TELEGRAM_API_URL"]))
    else:
        asyncio.run(main())
