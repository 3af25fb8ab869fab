"""Whether one flooding chat slows `herald run` down for everyone else on Telegram.

Runs the fake Bot API in this process, enforcing Telegram's limits (1 message per second to a
private chat, 30 per second in all), and `herald run` (SQLite) as its own process against it.
In each scenario one chat sends 1,000 `/help` at once, and while Herald works through them 50
other users send `/tags` once each (one every 20 ms). The table shows the 50 users' latency
(from injecting the update to the fake holding the answer: p50, p99, max) and what the flooding
chat received: answers, the limiter's notices, and nothing else. Scenarios run in one `herald
run` process: the first flood meets a process that has answered nothing yet (cold), the second
one a process that has (warm); the last row is 50 users with no flood, for comparison.

    .venv/bin/python bench/fairness.py [--flood 1000] [--users 50]
"""

from __future__ import annotations

import argparse
import asyncio
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

from tests.fakes.telegram_api import FakeTelegram  # noqa: E402

TOKEN = "777777:BENCH-token-not-secret"
ADMIN = 1
NOTICE = "You are sending commands faster than I can answer"
TARGET_P99 = 2.0
# A flood is over when the flooding chat has received nothing for this long.
QUIET = 5.0


@dataclass
class Scenario:
    """One measured scenario."""

    name: str
    latencies: list[float]
    users: int
    flood: int
    replies: int = 0
    notices: int = 0

    def quantile(self, q: float) -> float:
        """The q-quantile of the answered users' latencies (nearest rank)."""
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


async def _answers(fake: FakeTelegram, sent: dict[int, float], within: float) -> list[float]:
    """Wait for every user in `sent` to get an answer; their latencies in seconds."""
    latencies: list[float] = []
    pending = dict(sent)
    deadline = time.perf_counter() + within
    while pending and time.perf_counter() < deadline:
        try:
            await fake.wait_until(
                lambda: any(fake.sent_to(user) for user in pending),
                within=deadline - time.perf_counter(),
            )
        except TimeoutError:
            break
        now = time.perf_counter()
        for user in [user for user in pending if fake.sent_to(user)]:
            latencies.append(now - pending.pop(user))
    return latencies


async def _quiet(fake: FakeTelegram, chat: int) -> None:
    """Wait until `chat` has received nothing for QUIET seconds."""
    count, since = -1, time.perf_counter()
    while time.perf_counter() - since < QUIET:
        current = len(fake.sent_to(chat))
        if current != count:
            count, since = current, time.perf_counter()
        await asyncio.sleep(0.1)


async def run_scenario(
    fake: FakeTelegram, name: str, flooder: int | None, users: range, flood: int
) -> Scenario:
    """One flood (or none) and one command from each of `users`; the chat's answers counted."""
    if flooder is not None:
        for _ in range(flood):
            fake.send_text(flooder, "/help")
    sent: dict[int, float] = {}
    for user in users:
        sent[user] = time.perf_counter()
        fake.send_text(user, "/tags")
        await asyncio.sleep(0.02)
    latencies = await _answers(fake, sent, within=300)
    scenario = Scenario(name, latencies, len(users), flood if flooder is not None else 0)
    if flooder is not None:
        await _quiet(fake, flooder)
        texts = [message.text for message in fake.sent_to(flooder)]
        scenario.notices = sum(text.startswith(NOTICE) for text in texts)
        scenario.replies = len(texts) - scenario.notices
    return scenario


async def main() -> None:
    """Start `herald run` against the limit-enforcing fake, run the scenarios, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flood", type=int, default=1000, help="commands the flooding chat sends")
    parser.add_argument("--users", type=int, default=50, help="other users, one command each")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeTelegram(TOKEN, enforce_limits=True) as fake:
            env = {
                **{k: v for k, v in os.environ.items() if not k.startswith("HERALD_")},
                "PYTHONPATH": str(ROOT),
                "HERALD_DATABASE_URL": f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}",
                "HERALD_TELEGRAM_TOKEN": TOKEN,
                "HERALD_TELEGRAM_API_URL": fake.root,
                "HERALD_ADMINS": f"telegram:{ADMIN}",
                "HERALD_LOG_LEVEL": "WARNING",
            }
            herald = Path(sys.executable).with_name("herald")
            process = await asyncio.create_subprocess_exec(
                str(herald), "run", env=env, cwd=ROOT, stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            try:
                await fake.wait_until(lambda: bool(fake.calls("getUpdates")), within=60)
                n = args.users
                scenarios = [
                    await run_scenario(fake, "flood, cold process", 10, range(1000, 1000 + n),
                                       args.flood),
                    await run_scenario(fake, "flood, warm process", 11, range(2000, 2000 + n),
                                       args.flood),
                    await run_scenario(fake, "no flood (warm)", None, range(3000, 3000 + n), 0),
                ]
            finally:
                process.send_signal(signal.SIGTERM)
                await process.wait()
    print(f"# Fairness: one chat sends {args.flood} x /help at once while {args.users} other "
          "users send /tags once each; fake Bot API enforcing 1 msg/s per private chat, 30/s "
          "in all")
    print(f"# {platform.node()} · {platform.processor() or platform.machine()} · "
          f"{os.cpu_count()} CPUs · Python {platform.python_version()} · "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · load average "
          f"{os.getloadavg()[0]:.1f}")
    print()
    print("| scenario | users answered | p50 s | p99 s | max s | target p99 | "
          "flooder: commands | flooder: answers | flooder: notices |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for s in scenarios:
        answered = f"{len(s.latencies)}/{s.users}"
        if s.latencies:
            p50, p99 = s.quantile(0.5), s.quantile(0.99)
            verdict = "✓" if p99 <= TARGET_P99 and len(s.latencies) == s.users else "✗"
            figures = f"{p50:.2f} | {p99:.2f} | {max(s.latencies):.2f} | ≤ {TARGET_P99:g} {verdict}"
        else:
            figures = "– | – | – | ✗"
        flood = f"{s.flood} | {s.replies} | {s.notices}" if s.flood else "– | – | –"
        print(f"| {s.name} | {answered} | {figures} | {flood} |")
    print()
    print(f"median of the latencies, all scenarios: "
          f"{statistics.median([x for s in scenarios for x in s.latencies]):.2f} s")


if __name__ == "__main__":
    asyncio.run(main())
