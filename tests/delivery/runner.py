"""A Herald delivery worker for subprocess tests: sends to a file that stands for the platform."""

from __future__ import annotations

import argparse
import asyncio
import math
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.delivery import DeliveryConfig, DeliveryEngine
from bot.ports import OutboundMessage, PlatformLimits, SystemClock, Target
from storage.engine import create_engine
from storage.outbox import DELIVERIES, SqlOutbox

LIMITS = PlatformLimits(4096, 1024, 30.0, 0.0, 0)


class FilePlatform:
    """Appends one line per delivered message: `external_id key`."""

    name = "telegram"
    limits = LIMITS

    def __init__(self, out: Path, latency: float) -> None:
        self._out = out.open("a", buffering=1, encoding="utf-8")
        self._latency = latency

    async def send(self, target: Target, message: OutboundMessage, *, key: str) -> list[str]:
        """Deliver after the latency; the line is written before the id is returned."""
        await asyncio.sleep(self._latency)
        self._out.write(f"{target.external_id} {key}\n")
        return [key]

    async def edit(
        self, target: Target, message_ids: list[str], message: OutboundMessage
    ) -> list[str]:
        """Not used by these tests."""
        return message_ids

    async def delete(self, target: Target, message_ids: list[str]) -> None:
        """Not used by these tests."""


async def main() -> None:
    """Drain the outbox, then exit."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--latency", type=float, default=0.005)
    parser.add_argument("--lease", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    db = create_engine(args.db)
    sessions = async_sessionmaker(db, expire_on_commit=False)
    config = DeliveryConfig(
        concurrency=args.concurrency, lease_seconds=args.lease, poll_interval=0.1,
        flush_interval=0.01, rates={"telegram": math.inf}, pace_chats=False,
    )
    engine = DeliveryEngine(
        SqlOutbox(sessions),
        {"telegram": FilePlatform(args.out, args.latency)},
        SystemClock(),
        config,
    )
    await engine.start()
    print("started", flush=True)
    try:
        while True:
            await asyncio.sleep(0.1)
            async with sessions() as session:
                left = (
                    await session.execute(
                        select(func.count()).where(DELIVERIES.c.state == "pending")
                    )
                ).scalar_one()
            if left == 0:
                break
    finally:
        await engine.stop()
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
