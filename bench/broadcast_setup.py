"""The broadcast benchmark's stage: the fake Bot API in its own process, fresh databases, chats.

`bench/broadcast.py` measures; this module sets up what it measures against. Run directly, it is
the fake Bot API process (`--latency S [--enforce]`), answering `stats`/`reset` lines on stdin.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import bindparam, insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker  # noqa: E402

from storage import outbox  # noqa: E402
from storage.engine import create_engine  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.outbox import ANNOUNCEMENTS  # noqa: E402
from storage.types import UTCDateTime  # noqa: E402

TOKEN = "424242:BENCH-token-not-secret"
SETUP = str(Path(__file__).resolve())
FIRST_CHAT = 10_000_001
TITLE = "Spring general meeting"
BODY = "The society meets on Saturday at 18:00 in room 101.\n\nEveryone is welcome."


# --- the fake Bot API in its own process ---------------------------------------------------


def busiest_second(arrivals: list[float]) -> int:
    """The most arrivals inside any sliding second [t, t + 1)."""
    most, first = 0, 0
    ordered = sorted(arrivals)
    for last, at in enumerate(ordered):
        while at - ordered[first] >= 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


def serve(latency: float, enforce: bool, jitter: float = 0.0) -> None:
    """Run the fake Bot API until stdin closes; answer `stats` and `reset` lines on stdout."""
    from tests.fakes.telegram_api import FakeTelegram

    async def main() -> None:
        fake = FakeTelegram(TOKEN, latency=latency, enforce_limits=enforce, jitter=jitter)
        await fake.start()
        print(fake.root, flush=True)
        loop = asyncio.get_running_loop()
        while True:
            line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
            if line in ("", "quit"):
                break
            if line == "reset":
                fake.log.clear()
                fake.messages.clear()
                fake.sent_count = fake.rate_limited = 0
                fake.accepted_at.clear()
            stats = {
                "sent": fake.sent_count, "rate_limited": fake.rate_limited,
                "busiest_second": busiest_second(fake.accepted_at),
            }
            print(json.dumps(stats), flush=True)
        await fake.close()

    asyncio.run(main())


class FakeServer:
    """A handle on the fake Bot API process."""

    def __init__(self, latency: float, enforce: bool, jitter: float = 0.0) -> None:
        args = [sys.executable, SETUP, "--latency", str(latency), "--jitter", str(jitter)]
        if enforce:
            args.append("--enforce")
        self._process = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT
        )
        assert self._process.stdout is not None
        self.root = self._process.stdout.readline().strip()
        if not self.root.startswith("http://127.0.0.1:"):
            raise RuntimeError("the fake Bot API did not start")

    def _ask(self, line: str) -> dict[str, int]:
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        self._process.stdin.write(line + "\n")
        self._process.stdin.flush()
        answer: dict[str, int] = json.loads(self._process.stdout.readline())
        return answer

    def stats(self) -> dict[str, int]:
        """Messages stored and 429s answered since the last reset."""
        return self._ask("stats")

    def reset(self) -> None:
        """Forget every message (between runs)."""
        self._ask("reset")

    def close(self) -> None:
        """Stop the process."""
        assert self._process.stdin is not None
        self._process.stdin.close()
        self._process.wait(10)


@contextmanager
def fake_server(
    latency: float, *, enforce: bool = False, jitter: float = 0.0
) -> Iterator[FakeServer]:
    """The fake Bot API at this latency (plus up to `jitter` at random), in its own process."""
    server = FakeServer(latency, enforce, jitter)
    try:
        yield server
    finally:
        server.close()


# --- databases ---------------------------------------------------------------------------


@asynccontextmanager
async def database(kind: str, pg_url: str | None) -> AsyncIterator[str]:
    """A fresh, migrated database URL: a temporary SQLite file or a new PostgreSQL database."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{folder}/herald.db"
            engine = create_engine(url)
            await upgrade(engine)
            await engine.dispose()
            yield url
        return
    assert pg_url is not None
    admin = make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
    name = "herald_bench_" + uuid.uuid4().hex[:10]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = make_url(pg_url).set(database=name).render_as_string(hide_password=False)
        engine = create_engine(url)
        await upgrade(engine)
        await engine.dispose()
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def seed_chats(db: AsyncEngine, count: int) -> None:
    """`count` private chats subscribed to everything, ids from FIRST_CHAT up."""
    now = datetime.now(UTC)
    sessions = async_sessionmaker(db)
    async with sessions.begin() as session:
        dialect = session.get_bind().dialect.name
        numbers = (
            "SELECT generate_series(:first, :last) AS i"
            if dialect == "postgresql"
            else "WITH RECURSIVE n(i) AS (SELECT :first UNION ALL SELECT i + 1 FROM n "
            "WHERE i < :last) SELECT i FROM n"
        )
        await session.execute(
            text(
                "INSERT INTO chats (platform, external_id, kind, active, created_at, updated_at) "
                f"SELECT 'telegram', CAST(i AS VARCHAR(32)), 'private', TRUE, :now, :now "
                f"FROM ({numbers}) AS numbers"
            ).bindparams(bindparam("now", type_=UTCDateTime())),
            {"first": FIRST_CHAT, "last": FIRST_CHAT + count - 1, "now": now},
        )
        await session.execute(
            text(
                "INSERT INTO subscriptions (chat_id, tag_key, tag_name, created_at) "
                "SELECT id, '', '', created_at FROM chats"
            )
        )
    if dialect == "postgresql":
        # Steady state: autovacuum would have analyzed tables that grew one chat at a time.
        async with db.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("ANALYZE"))


async def publish(sessions: async_sessionmaker[AsyncSession]) -> tuple[int, int]:
    """Publish one announcement to every subscribed chat, as the publisher does."""
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        aid = (
            await session.execute(
                insert(ANNOUNCEMENTS).returning(ANNOUNCEMENTS.c.id),
                {
                    "title": TITLE, "body": BODY, "status": "published", "revision": 1,
                    "views": 0, "published_at": now, "created_at": now, "updated_at": now,
                },
            )
        ).scalar_one()
        count = await outbox.enqueue_send(
            session, announcement_id=aid, revision=1, tag_keys=[], now=now
        )
    return int(aid), count


def main() -> None:
    """The fake Bot API process (started by FakeServer)."""
    parser = argparse.ArgumentParser(description="the broadcast benchmark's fake Bot API")
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--enforce", action="store_true")
    parser.add_argument("--jitter", type=float, default=0.0)
    args = parser.parse_args()
    serve(args.latency, args.enforce, args.jitter)


if __name__ == "__main__":
    main()
