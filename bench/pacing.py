"""Does Herald keep to Telegram's 30 messages per sliding second, run after run?

The fake Bot API (its own process) refuses the 31st message inside any sliding second, with no
slack, and delays each request by --latency plus a random 0..--jitter, so requests overtake
each other on the way. Herald (the delivery engine at its defaults, the real Telegram platform)
broadcasts one announcement to --chats chats, --runs times, each on a fresh database. Each run
prints the 429s the fake answered and the most messages it accepted inside any one second
(counts, taken at the fake), and the rate Herald sustained (a timing: other load on the
machine slows it).

    .venv/bin/python bench/pacing.py [--runs 10] [--chats 1000] [--jitter 0.03]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.broadcast import herald, machine  # noqa: E402
from bench.broadcast_setup import database, fake_server  # noqa: E402


async def run(args: argparse.Namespace) -> None:
    """--runs broadcasts against one fake process; one table line each."""
    lines = [("run", "chats", "sent", "429s", "busiest second", "seconds", "msg/s")]
    clean = 0
    with fake_server(args.latency, enforce=True, jitter=args.jitter) as server:
        for number in range(1, args.runs + 1):
            server.reset()
            async with database("sqlite", None) as url:
                seconds, sent = await herald(server.root, url, args.chats, limited=True)
            stats = server.stats()
            clean += stats["rate_limited"] == 0
            lines.append((
                str(number), f"{args.chats:,}", f"{sent:,}", str(stats["rate_limited"]),
                str(stats["busiest_second"]), f"{seconds:.2f}", f"{sent / seconds:.2f}",
            ))
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    print(f"Herald pacing benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(machine())
    print(f"fake: 30 per sliding second, latency {args.latency * 1000:.0f} ms "
          f"+ 0-{args.jitter * 1000:.0f} ms at random")
    for line in lines:
        print(" | ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=True)))
    print(f"runs without a 429: {clean} of {args.runs}")


def main() -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.002)
    parser.add_argument("--jitter", type=float, default=0.03)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
