"""Seed 100,000 announcements and time the website's answers, on SQLite and PostgreSQL.

    .venv/bin/python -m bench.web [--count 100000] [--samples 300] [--postgres URL]
                                  [--backends sqlite,postgres]

The site is built as `herald run` builds it (bot.app.website) and served by aiohttp on
loopback; a real client asks for each page. The time reported is the server's: from the
request reaching the application to its response being ready (a middleware measures it), so
the client's own work is left out. Three modes, each timed in turns across the pages:
- cold: the rendered-answer cache emptied before every request (database query + render);
- warm: the answer is in the cache (it keeps answers 2 s; the bench refreshes it, untimed,
  before it would expire);
- 304: a warm conditional GET carrying the answer's ETag.
Prints a markdown table of p50 and p99 per page and mode, with the targets.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import psycopg
from aiohttp import web
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench.queries import _libpq, corpus, seed
from bot.app import open_herald, website
from bot.settings import Settings
from storage.engine import create_engine
from storage.migrate import upgrade

TARGETS = {"cold": 20.0, "warm": 5.0, "304": 2.0}
MODES = ("cold", "warm", "304")
REFRESH_AFTER = 1.0  # seconds: well inside the cache's 2 s


@dataclass(frozen=True)
class Result:
    """p50 and p99 of one page in one mode, in milliseconds."""

    backend: str
    page: str
    mode: str
    p50: float
    p99: float
    samples: int


class Timed:
    """The server's time for the last request (set by the middleware)."""

    def __init__(self) -> None:
        self.last_ns = 0

    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        started = time.perf_counter_ns()
        response = await handler(request)
        self.last_ns = time.perf_counter_ns() - started
        return response


async def _pages(url: str) -> dict[str, list[str]]:
    """Each page's addresses: several permalinks, a popular and a rare tag."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            ids = [
                int(i)
                for i in await conn.scalars(
                    text(
                        "SELECT id FROM announcements WHERE status = 'published' "
                        "ORDER BY id DESC LIMIT 2000"
                    )
                )
            ]
            tags = [
                str(k).replace(" ", "_")
                for k in await conn.scalars(
                    text("SELECT key FROM tags WHERE published_count > 0 ORDER BY published_count")
                )
            ]
    finally:
        await engine.dispose()
    rng = random.Random(5)
    return {
        "home": ["/"],
        "permalink": [f"/announcements/{i}" for i in rng.sample(ids, 50)],
        "tag page, popular": [f"/tags/{t}" for t in tags[-3:]],
        "tag page, rare": [f"/tags/{t}" for t in tags[:3]],
        "feed (Atom)": ["/feed.atom"],
        "tag feed (JSON)": [f"/tags/{tags[-1]}/feed.json"],
    }


async def measure(backend: str, url: str, samples: int) -> list[Result]:
    """Serve the site over `url` and time every page in every mode."""
    pages = await _pages(url)
    herald = await open_herald(Settings(database_url=url, http_listen="off", _env_file=None))
    timed = Timed()
    routes = website(herald)
    app = web.Application(middlewares=[timed.middleware])
    routes.register(app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    base = f"http://127.0.0.1:{port}"
    results: list[Result] = []
    try:
        async with aiohttp.ClientSession() as client:

            async def get(path: str, etag: str | None = None) -> tuple[int, str]:
                headers = {"If-None-Match": etag} if etag else {}
                async with client.get(base + path, headers=headers) as response:
                    await response.read()
                    return response.status, response.headers.get("ETag", "")

            for mode in MODES:
                taken: dict[str, list[float]] = {name: [] for name in pages}
                etags: dict[str, str] = {}
                primed: dict[str, float] = {}
                for round_ in range(samples + 10):
                    for name, paths in pages.items():
                        path = paths[round_ % len(paths)]
                        if mode == "cold":
                            routes.forget()
                        elif time.monotonic() - primed.get(path, 0.0) > REFRESH_AFTER:
                            _, etags[path] = await get(path)
                            primed[path] = time.monotonic()
                        status, _ = await get(path, etags.get(path) if mode == "304" else None)
                        expected = 304 if mode == "304" else 200
                        if status != expected:
                            raise RuntimeError(f"{path} ({mode}) answered {status}")
                        if round_ >= 10:  # the first rounds warm the process up
                            taken[name].append(timed.last_ns / 1e6)
                for name, times in taken.items():
                    cuts = statistics.quantiles(times, n=100, method="inclusive")
                    results.append(Result(backend, name, mode, cuts[49], cuts[98], len(times)))
    finally:
        await runner.cleanup()
        await herald.close()
    return results


async def run_backend(backend: str, url: str, count: int, samples: int) -> tuple[list[Result], str]:
    """Seed one database, then measure the site on it."""
    rng = random.Random(20261205)
    c = corpus(rng)
    engine = create_engine(url)
    try:
        await upgrade(engine)
        took = await seed(engine, c, count, rng)
    finally:
        await engine.dispose()
    note = f"{backend}: seeded {count:,} announcements in {took:.1f} s"
    print(note, file=sys.stderr)
    return await measure(backend, url, samples), note


async def run_postgres(base: str, count: int, samples: int) -> tuple[list[Result], str]:
    """Measure on a fresh PostgreSQL database created for the run and dropped after it."""
    name = "herald_bench_" + uuid.uuid4().hex[:8]
    with psycopg.connect(_libpq(base), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = make_url(base).set(database=name).render_as_string(hide_password=False)
        return await run_backend("PostgreSQL", url, count, samples)
    finally:
        with psycopg.connect(_libpq(base), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def table(results: list[Result]) -> str:
    """The results as a markdown table, cold, warm and 304 apart."""
    lines = [
        "| backend | page | mode | p50 ms | p99 ms | target p99 | samples |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for r in results:
        target = TARGETS[r.mode]
        mark = f"≤ {target:g} {'✓' if r.p99 <= target else '✗'}"
        lines.append(
            f"| {r.backend} | {r.page} | {r.mode} | {r.p50:.2f} | {r.p99:.2f} | {mark} "
            f"| {r.samples} |"
        )
    return "\n".join(lines)


async def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run each backend, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--postgres", default=os.environ.get("HERALD_TEST_POSTGRES_URL"))
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args(argv)
    results: list[Result] = []
    notes: list[str] = []
    load_before = os.getloadavg()[0]
    if "sqlite" in args.backends:
        with tempfile.TemporaryDirectory(prefix="herald-bench-") as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
            found, note = await run_backend("SQLite", url, args.count, args.samples)
            results += found
            notes.append(note)
    versions = f"SQLite {sqlite3.sqlite_version}"
    if "postgres" in args.backends:
        if args.postgres:
            found, note = await run_postgres(args.postgres, args.count, args.samples)
            results += found
            notes.append(note)
        else:
            notes.append("PostgreSQL skipped: pass --postgres URL or set HERALD_TEST_POSTGRES_URL")
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {platform.machine()} · {os.cpu_count()} CPUs · "
        f"Python {platform.python_version()} · {versions} · load average "
        f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after\n"
    )
    print(table(results))
    print()
    for note in notes:
        print(f"- {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
