"""What does polling a feed source cost in CPU? (issue #14: 1,000 sources every 15 minutes < 1%)

A loopback aiohttp server runs in a child process (so its CPU is not counted) and serves a
realistic 20-entry RSS feed with an ETag, a 304 for a matching If-None-Match, and an
800×600 JPEG. The bench process measures its own CPU (`time.process_time`) for:

- an unchanged source: Herald's fetcher (`adapters.feeds.fetch.HttpFetcher`) sending a
  conditional GET and handling the 304 — on a kept-alive connection, on a new connection
  (what a source polled every 15 minutes gets: idle connections are closed long before)
  and on a new https connection (a TLS handshake; a self-signed certificate made with
  `openssl`, trusted through SSL_CERT_FILE);
- a source with one new entry: the 200 with the feed, `bot.feeds.content.parse_feed` of
  all 20 entries (every entry is converted: the hashes of the 19 seen ones detect edits),
  the diff against the seen keys and hashes, and the new entry's photo downloaded and
  checked (`checked_image`).

Cold is the first call in a fresh process after its imports (median of --cold-runs
processes); warm is the mean of --polls calls after a warm-up. The database work of a poll
(reading the seen keys, recording the poll, writing the announcement) is not included.

    .venv/bin/python bench/feeds.py [--polls 300] [--cold-runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ETAG = '"feed-v1"'
SOURCES = 1_000
INTERVAL = 15 * 60  # seconds
TARGET = 1.0  # % of one core


# --- the feed the server serves ---------------------------------------------------------


def feed_document(fresh: int = 0, entries: int = 20) -> bytes:
    """An RSS 2.0 feed like a society's site's: HTML content, images, categories, a pixel.

    Its newest entry is number `fresh` (any number gives a new one); the others never change.
    """
    items = []
    for n in [1000 + fresh, *range(entries - 1, 0, -1)]:
        paragraphs = "".join(
            f"<p>Paragraph {p} of news item {n}: members of the <b>society</b> met on "
            f"<i>{n} August</i> to discuss the friendship of our peoples. Общество дружбы "
            f"провело встречу, посвящённую <a href='/news/{n}/more'>годовщине</a>.</p>"
            for p in range(1, 6)
        )
        html = (
            f"<p><img src='/images/{n}.jpg' width='800' height='600' alt=''></p>{paragraphs}"
            "<ul><li>Time: 18:00</li><li>Place: the society's hall</li></ul>"
            "<img src='https://mc.yandex.ru/watch/1' width='1' height='1'>"
            "<script>counter()</script>"
        )
        items.append(
            f"<item><title>News item {n}: a meeting of the society</title>"
            f"<link>https://society.example/news/item-{n}</link>"
            f"<guid isPermaLink='false'>society-news-{n}</guid>"
            f"<pubDate>Sat, {n % 28 + 1:02d} Aug 2025 10:00:00 +0300</pubDate>"
            "<category>News</category><category>Korea</category>"
            f"<description><![CDATA[{html}]]></description></item>"
        )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        "<title>Friendship Society</title><link>https://society.example/</link>"
        "<description>News</description><language>en</language>"
        + "".join(items)
        + "</channel></rss>"
    ).encode("utf-8")


def jpeg() -> bytes:
    """An 800×600 JPEG photo."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 30, 30)).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


# --- the server (child process) ---------------------------------------------------------


def serve(cert_dir: str | None) -> None:
    """Run the loopback server; print its ports as one JSON line; stop when stdin closes."""
    import ssl

    from aiohttp import web

    body, photo = feed_document(), jpeg()

    async def feed(request: web.Request) -> web.StreamResponse:
        headers = {"ETag": ETAG, "Cache-Control": "max-age=0"}
        if request.match_info["mode"] == "close":
            headers["Connection"] = "close"
        if request.headers.get("If-None-Match") == ETAG:
            return web.Response(status=304, headers=headers)
        return web.Response(body=body, content_type="application/rss+xml", headers=headers)

    async def image(request: web.Request) -> web.StreamResponse:
        return web.Response(body=photo, content_type="image/jpeg",
                            headers={"Connection": "close"})

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/{mode}/feed.xml", feed)
        app.router.add_get("/photo.jpg", image)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        plain = web.TCPSite(runner, "127.0.0.1", 0)
        await plain.start()
        ports = {"http": runner.addresses[0][1]}
        if cert_dir:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(f"{cert_dir}/cert.pem", f"{cert_dir}/key.pem")
            secure = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
            await secure.start()
            ports["https"] = runner.addresses[1][1]
        print(json.dumps(ports), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        await runner.cleanup()

    asyncio.run(main())


def make_certificate(directory: str) -> bool:
    """A self-signed certificate for localhost; False when openssl is not there."""
    if shutil.which("openssl") is None:
        return False
    result = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
         "-keyout", f"{directory}/key.pem", "-out", f"{directory}/cert.pem"],
        capture_output=True, check=False,
    )  # fmt: skip
    return result.returncode == 0


# --- the client measurements -------------------------------------------------------------


class Client:
    """Herald's fetcher and parser against the loopback server: one callable per step."""

    def __init__(self, ports: dict[str, int]) -> None:
        from adapters.feeds.fetch import HttpFetcher, user_agent
        from bot.feeds import content

        self.content = content
        self.fetcher = HttpFetcher(user_agent("bench", None))
        self.bodies: list[bytes] = []  # made before the clock runs: the server's work
        self.http = f"http://127.0.0.1:{ports['http']}"
        self.https = f"https://localhost:{ports['https']}" if "https" in ports else None
        self.body = b""
        self.content_type: str | None = None
        self.parsed: Any = None
        self.seen: dict[str, str] = {}
        # A poll that finds one new entry: each parse gets a feed whose newest entry it has
        # not seen before (the others it has, as a source's feed repeats them).
        self.fresh = 0

    def steps(self) -> dict[str, Callable[[], Awaitable[None]]]:
        """The measured steps, in order; a step may use what an earlier one produced."""
        steps: dict[str, Callable[[], Awaitable[None]]] = {
            "304, kept-alive connection": self.not_modified("keep", self.http),
            "304, new connection": self.not_modified("close", self.http),
        }
        if self.https:
            steps["304, new https connection"] = self.not_modified("close", self.https)
        steps |= {
            "200, 20-entry feed (new connection)": self.download,
            "parse_feed, 20 entries": self.parse,
            "diff against 19 seen keys": self.diff,
            "photo: download and checked_image": self.photo,
        }
        return steps

    def not_modified(self, mode: str, root: str) -> Callable[[], Awaitable[None]]:
        async def step() -> None:
            fetched = await self.fetcher.fetch(f"{root}/{mode}/feed.xml", etag=ETAG)
            assert fetched.status == 304, fetched.status

        return step

    async def download(self) -> None:
        fetched = await self.fetcher.fetch(f"{self.http}/close/feed.xml")
        assert fetched.status == 200
        self.body = fetched.body
        self.content_type = fetched.content_type

    async def parse(self) -> None:
        self.fresh += 1
        body = self.bodies.pop() if self.bodies else feed_document(self.fresh)
        self.parsed = self.content.parse_feed(
            body, content_type=self.content_type, url=f"{self.http}/close/feed.xml"
        )
        if not self.seen:  # every entry but the newest was seen at an earlier poll
            self.seen = {e.key: e.content_hash for e in self.parsed.entries[1:]}

    async def diff(self) -> None:
        entries = self.parsed.entries
        new = [e for e in entries if e.key not in self.seen]
        changed = [e for e in entries if self.seen.get(e.key, e.content_hash) != e.content_hash]
        assert len(new) == 1, len(new)
        assert not changed

    async def photo(self) -> None:
        fetched = await self.fetcher.fetch(f"{self.http}/photo.jpg")
        self.content.checked_image(fetched.body, fetched.url)


async def cpu(step: Callable[[], Awaitable[None]]) -> float:
    """The CPU seconds this process spends on one call of `step`.

    The window ends after a short idle wait, so work the step leaves to the event loop
    (closing a connection's transport) is counted to it, not to the next step; waiting
    costs no CPU.
    """
    start = time.process_time()
    await step()
    await asyncio.sleep(0.002)
    return time.process_time() - start


async def noop() -> None:
    """A step doing nothing: what the measuring window itself costs."""


async def window(times: int) -> float:
    """The CPU of the measuring window around nothing (the idle wait's loop turn), median."""
    return statistics.median([await cpu(noop) for _ in range(times)])


async def cold(ports: dict[str, int]) -> dict[str, float]:
    """Each step's first call in this (fresh) process, imports done beforehand."""
    client = Client(ports)
    client.bodies = [feed_document(1)]
    empty = await window(20)
    results = {name: await cpu(step) - empty for name, step in client.steps().items()}
    await client.fetcher.close()
    return results


async def warm(ports: dict[str, int], polls: int) -> dict[str, float]:
    """Each step's mean CPU over `polls` calls, after a warm-up; steps interleaved."""
    client = Client(ports)
    steps = client.steps()
    for step in steps.values():
        for _ in range(3):
            await step()
    client.bodies = [feed_document(1_000 + n) for n in range(polls)]
    totals = dict.fromkeys(steps, 0.0)
    empty = 0.0
    for _ in range(polls):
        empty += await cpu(noop)
        for name, step in steps.items():
            totals[name] += await cpu(step)
    await client.fetcher.close()
    return {name: (total - empty) / polls for name, total in totals.items()}


# --- the report --------------------------------------------------------------------------


def share(seconds: float) -> float:
    """% of one core that SOURCES sources polled every INTERVAL seconds cost at this price."""
    return seconds * SOURCES / INTERVAL * 100


def load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def report(cold_runs: list[dict[str, float]], hot: dict[str, float], polls: int) -> None:
    names = list(hot)
    cold_median = {n: statistics.median(run[n] for run in cold_runs) for n in names}
    width = max(len(n) for n in names) + 2
    print(f"| step{' ' * (width - 4)}| cold ms (median of {len(cold_runs)}) | warm ms |")
    print(f"|{'-' * (width + 1)}|---:|---:|")
    for name in names:
        print(f"| {name:<{width - 1}}| {cold_median[name] * 1e3:.2f} | {hot[name] * 1e3:.3f} |")
    unchanged = ["304, new connection"]
    secure = ["304, new https connection"] if "304, new https connection" in hot else []
    new_entry = [n for n in names if not n.startswith("304")]
    print()
    print(f"{SOURCES:,} sources every {INTERVAL // 60} minutes = {SOURCES / INTERVAL:.2f} polls/s;"
          f" target < {TARGET:g}% of one core")
    print("| per poll | cold ms | warm ms | warm % of one core | cold % of one core |")
    print("|---|---:|---:|---:|---:|")
    rows = [("unchanged (304, new http connection)", unchanged)]
    if secure:
        rows.append(("unchanged (304, new https connection)", secure))
    rows.append(("one new entry (200 + parse + diff + photo)", new_entry))
    for label, parts in rows:
        c = sum(cold_median[p] for p in parts)
        w = sum(hot[p] for p in parts)
        print(f"| {label} | {c * 1e3:.2f} | {w * 1e3:.2f} | {share(w):.3f}% | {share(c):.3f}% |")
    print()
    print(f"warm: mean of {polls} polls per step; cold: first call in a fresh process, "
          "imports excluded; the measuring window's own cost (an idle loop turn) subtracted; "
          "database work not included")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polls", type=int, default=300)
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cold", metavar="PORTS", help=argparse.SUPPRESS)
    parser.add_argument("--certs", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.certs)
        return
    if args.cold:
        import adapters.feeds.fetch  # noqa: F401 - imports are not the poll's cost
        import bot.feeds.content  # noqa: F401

        print(json.dumps(asyncio.run(cold(json.loads(args.cold)))))
        return
    with tempfile.TemporaryDirectory() as certs:
        secure = make_certificate(certs)
        env = dict(os.environ, SSL_CERT_FILE=f"{certs}/cert.pem") if secure else dict(os.environ)
        os.environ.update(env)
        command = [sys.executable, __file__, "--serve"] + (["--certs", certs] if secure else [])
        server = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True, env=env)  # fmt: skip
        assert server.stdout is not None
        assert server.stdin is not None
        ports = json.loads(server.stdout.readline())
        try:
            print(f"# bench/feeds.py, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
            print(f"# {machine_line()}")
            print(f"# nproc {os.cpu_count()}; before: {load()}")
            print(f"# feed: {len(feed_document()):,} bytes, 20 entries")
            cold_runs = [
                json.loads(
                    subprocess.run(
                        [sys.executable, __file__, "--cold", json.dumps(ports)],
                        capture_output=True, text=True, check=True, env=env,
                    ).stdout.splitlines()[-1]
                )
                for _ in range(args.cold_runs)
            ]  # fmt: skip
            hot = asyncio.run(warm(ports, args.polls))
            report(cold_runs, hot, args.polls)
            print(f"# after: {load()}")
        finally:
            server.stdin.close()
            server.wait(timeout=10)


def machine_line() -> str:
    from bench.broadcast import machine

    return machine()


if __name__ == "__main__":
    main()
