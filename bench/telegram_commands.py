"""How many commands per second `herald run` answers on Telegram, next to a bare PTB bot.

Runs the fake Bot API in this process and each bot as its own process, on the same fake, one
after the other: N distinct users each send `/tag Korea` at once; the time is from injecting
the updates to the fake having received the N-th answer. Every bot sends the same message:
Herald's own answer to `/tag Korea` (HTML, buttons, no link preview), captured first, so the
fake and the bots' JSON decoding do the same work for each, over 100 connections (what
`herald run` uses). The bots run in rounds, one after the other within a round (the machine
may be shared), and the table shows each bot's median rate and the CPU time its process spent
per answer (less disturbed by other load than the rate). One bare bot runs with the garbage
collector settings `herald run` applies once started; the last row gives every user's chat a
row beforehand, so `herald run` looks each one up instead of knowing it has none.

    .venv/bin/python bench/telegram_commands.py [-n 2000] [--rounds 3] [--latency-ms 0]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import signal
import statistics
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
from bot.replies import Reply  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram  # noqa: E402

TOKEN = "777777:BENCH-token-not-secret"
ADMIN = 1
# The first user ids are for preparing; each bot's users come after.
CAPTURE_USER = 2
ANSWER_ENV = "HERALD_BENCH_ANSWER"
# The first rows of the table are bare python-telegram-bot bots.
BARE_BOTS = 4
# The last row: herald run with every user's chat recorded beforehand (a row to look up).
RECORDED = "herald run (SQLite), every user's chat already recorded"
# Connections to the Bot API: TelegramConfig.connection_pool_size, what `herald run` uses.
POOL = 100


@dataclass
class Row:
    """One measured bot."""

    name: str
    answered: int
    seconds: float
    # CPU time (user + system) the bot's process spent from injecting to the last answer.
    cpu: float | None = None

    @property
    def rate(self) -> float:
        """Commands answered per second."""
        return self.answered / self.seconds if self.seconds else 0.0


@dataclass
class Result:
    """One bot over every round."""

    name: str
    rows: list[Row]

    @property
    def rate(self) -> float:
        """The median round's commands per second."""
        return statistics.median(row.rate for row in self.rows)

    @property
    def answered(self) -> str:
        """Answers per round, as `n/n/n`."""
        return "/".join(str(row.answered) for row in self.rows)

    @property
    def cpu_ms(self) -> str:
        """The median round's bot CPU milliseconds per answered command."""
        per = [row.cpu / row.answered * 1000 for row in self.rows if row.cpu and row.answered]
        return f"{statistics.median(per):.2f}" if per else "–"

    @property
    def spread(self) -> str:
        """The slowest and fastest rounds' rates."""
        rates = [row.rate for row in self.rows]
        return f"{min(rates):.0f}–{max(rates):.0f}"


SELF = str(Path(__file__).resolve())


def bare_bot(root: str, transport: str, concurrent: bool, settled: bool = False) -> None:
    """A bare python-telegram-bot bot answering /tag with Herald's captured answer (subprocess)."""
    from telegram import InlineKeyboardMarkup, LinkPreviewOptions, Update
    from telegram.constants import ParseMode
    from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

    answer_json = json.loads(os.environ[ANSWER_ENV])
    text = answer_json["text"]
    markup = InlineKeyboardMarkup.de_json(answer_json.get("reply_markup"), None)
    no_preview = LinkPreviewOptions(is_disabled=True)

    builder = ApplicationBuilder().token(TOKEN).base_url(root + "/bot")
    if transport == "aiohttp":
        from adapters.telegram.transport import AiohttpRequest

        builder = builder.request(AiohttpRequest(connection_pool_size=POOL))
    else:
        builder = builder.connection_pool_size(POOL)
    application = builder.concurrent_updates(concurrent).build()

    async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        await context.bot.send_message(
            update.effective_chat.id,
            text,
            parse_mode=ParseMode.HTML,
            link_preview_options=no_preview,
            reply_markup=markup,
        )

    application.add_handler(CommandHandler("tag", answer))
    # `settled`: the garbage-collector settings `herald run` uses, for a like-for-like row.
    # bot.memory imports nothing of Herald's, so the bare bots' heaps stay bare.
    from bot.memory import settled_memory

    with settled_memory() if settled else contextlib.nullcontext():
        application.run_polling(timeout=10, close_loop=False)


class FixedCore:
    """A Core that answers every command with one precomputed Reply: adapter cost only."""

    def __init__(self, answer: Reply) -> None:
        self._answer = answer

    async def handle(self, command: Command) -> Reply | None:
        """The fixed answer."""
        return self._answer

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

    async def refusal(self, command: Command) -> Reply | None:
        """Nothing is refused."""
        return None


class NoState:
    """An AdapterState that keeps nothing: the bench publishes the menu on every start."""

    async def get(self, key: str) -> str | None:
        """Nothing stored."""
        return None

    async def set(self, key: str, value: str) -> None:
        """Not stored."""


async def herald_answer() -> Reply:
    """The Reply `herald run` gives a new user's `/tag Korea`, from the prepared database."""
    from bot.app import open_herald
    from bot.domain import ChatKind
    from bot.settings import Settings

    herald = await open_herald(Settings())
    try:
        command = Command(
            platform="telegram",
            chat_id=str(CAPTURE_USER),
            chat_kind=ChatKind.PRIVATE,
            user_id=str(CAPTURE_USER),
            text="/tag Korea",
            language_hint="en",
        )
        answer = await herald.router.handle(command)
    finally:
        await herald.close()
    assert answer is not None
    return answer


async def adapter_only(root: str) -> None:
    """Herald's TelegramAdapter around FixedCore until SIGTERM (runs in a subprocess)."""
    from adapters.telegram.adapter import TelegramAdapter
    from adapters.telegram.config import TelegramConfig

    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    core = FixedCore(await herald_answer())
    adapter = TelegramAdapter(core, TelegramConfig(token=TOKEN, api_url=root), state=NoState())
    from bot.memory import settled_memory

    with settled_memory():  # as `herald run` does before starting its adapters
        await adapter.start()
        await stop.wait()
    await adapter.stop()


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process so far (None without Linux's /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    # After the command name: state is field 3, utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
        cpu_before = cpu_seconds(process.pid)
        started = time.perf_counter()
        for user in users:
            fake.send_text(user, "/tag Korea")
        await fake.wait_until(lambda: fake.sent_count >= goal, within=600)
        seconds = time.perf_counter() - started
        cpu_after = cpu_seconds(process.pid)
        answered = sum(1 for user in users if fake.sent_to(user))
        cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
        return Row(name, answered, seconds, cpu)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()


async def record_chats(database_url: str, users: range) -> None:
    """Give each user's private chat a row with its language set, as after /start and /lang."""
    from bot.domain import ChatKind
    from storage.engine import create_engine
    from storage.repository import Repository

    engine = create_engine(database_url)
    try:
        chats = Repository.for_engine(engine).chats
        now = datetime.now(UTC)
        for user in users:
            chat = await chats.ensure(ChatRef("telegram", str(user), ChatKind.PRIVATE), now=now)
            await chats.set_language(chat.id, "en")
    finally:
        await engine.dispose()


async def prepare_herald(fake: FakeTelegram, env: dict[str, str]) -> str:
    """Publish announcements tagged Korea through a short-lived `herald run`; its answer."""
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
        fake.send_text(CAPTURE_USER, "/tag Korea")
        answer = await fake.next_message(CAPTURE_USER, within=30)
    finally:
        process.send_signal(signal.SIGTERM)
        await process.wait()
    assert answer.parse_mode == "HTML", answer
    return json.dumps({"text": answer.raw, "reply_markup": answer.reply_markup})


async def main() -> None:
    """Run every bot on one fake, round after round, and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="users, one command each")
    parser.add_argument("--rounds", type=int, default=3, help="runs of every bot; median shown")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="fake latency per request")
    args = parser.parse_args()
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
                "HERALD_HTTP_LISTEN": "off",
            }
            env.pop("HERALD_DISCORD_TOKEN", None)
            env[ANSWER_ENV] = await prepare_herald(fake, env)
            me = [sys.executable, SELF]
            herald = [str(Path(sys.executable).with_name("herald")), "run"]
            bots = [
                ("bare PTB (httpx; updates one by one, PTB's default)", [*me, "--bare", "httpx"]),
                ("bare PTB (httpx; concurrent updates)", [*me, "--bare", "httpx-concurrent"]),
                ("bare PTB (aiohttp transport; concurrent updates)", [*me, "--bare", "aiohttp"]),
                (
                    "bare PTB (aiohttp; concurrent; herald run's GC settings)",
                    [*me, "--bare", "aiohttp-settled"],
                ),
                (
                    "Herald's Telegram adapter, core answer precomputed",
                    [*me, "--adapter-only", "-"],
                ),
                ("herald run (SQLite)", herald),
            ]
            bots.append((RECORDED, herald))
            results = [Result(name, []) for name, _ in bots]
            first = 1000
            for _ in range(args.rounds):
                for result, (name, command) in zip(results, bots, strict=True):
                    # Fresh users every run: each bot meets every chat for the first time.
                    if name == RECORDED:
                        await record_chats(env["HERALD_DATABASE_URL"], range(first, first + args.n))
                    result.rows.append(await measure(fake, name, command, env, args.n, first))
                    first += args.n
    default_bare = results[0].rate
    best_bare = max(result.rate for result in results[:BARE_BOTS])
    print(f"# Telegram commands: {args.n} users x `/tag Korea`, fake latency "
          f"{args.latency_ms:g} ms, median of {args.rounds} rounds")
    print(f"# {platform.node()} · {platform.processor() or platform.machine()} · "
          f"{os.cpu_count()} CPUs · Python {platform.python_version()} · "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print()
    print("| bot | answered per round | commands/s (median) | rounds' range | "
          "vs default bare | vs best bare | bot CPU ms/command |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for result in results:
        print(f"| {result.name} | {result.answered} | {result.rate:.0f} | {result.spread} | "
              f"{result.rate / default_bare:.2f} | {result.rate / best_bare:.2f} | "
              f"{result.cpu_ms} |")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--bare":
        transport = "aiohttp" if sys.argv[2].startswith("aiohttp") else "httpx"
        settled = sys.argv[2].endswith("-settled")
        bare_bot(os.environ["HERALD_TELEGRAM_API_URL"], transport, sys.argv[2] != "httpx", settled)
    elif len(sys.argv) == 3 and sys.argv[1] == "--adapter-only":
        asyncio.run(adapter_only(os.environ["HERALD_TELEGRAM_API_URL"]))
    else:
        asyncio.run(main())
