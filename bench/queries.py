"""Seed 100,000 announcements and measure the member queries, on SQLite and PostgreSQL.

    .venv/bin/python -m bench.queries [--count 100000] [--postgres URL] [--samples 300]
                                      [--layers core|cold|warm|repo,core]
                                      [--backends sqlite,postgres]

The queries go through the command core (`/tag`, `/tags`, `/search`, `/latest`, built as
bot/app.py builds it) twice: cold, with the listing cache emptied before every sample (so
each command runs its query and renders its page), and warm, asking the same few keys
within the cache's lifetime (what a burst of members asking one page costs). With
`--layers repo,core` the queries also run straight through the repository.
SQLite uses a temporary file. PostgreSQL runs when `--postgres` or HERALD_TEST_POSTGRES_URL
names a server: the bench creates a database of its own there and drops it afterwards.
Probes are timed in turns after a warm-up; prints a markdown table of p50 and p99.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import Herald, open_herald
from bot.commands.types import Command
from bot.domain import ChatKind, Status
from bot.settings import Settings
from bot.tags import tag_key
from storage.engine import create_engine
from storage.migrate import upgrade
from storage.models import AnnouncementRow, AnnouncementTagRow, TagRow
from storage.repository import Repository

CHUNK = 5_000
TAGS = 2_000
START = datetime(2016, 1, 1, tzinfo=UTC)
TARGETS = {"tag": 5.0, "search": 20.0}
# Words every society post uses, most frequent first; the rest of the vocabulary is invented.
COMMON = (  # noqa: SIM905 - word lists read better as text
    "the of and to in society korea meeting members friendship people anniversary "
    "общество корея встреча дружба народ годовщина 조선 친선 협회 회의 인민 기념"
).split()
LATIN = "ka ro lin ber sa ton mi han jo se ul pa dong ri na vel or kim pak chol su an".split()  # noqa: SIM905
CYRILLIC = "ко ре мир сла ва дру жба на род со юз про лет ар ми сто ли ца пе вец".split()  # noqa: SIM905
HANGUL = "조 선 친 협 회 평 양 민 주 의 인 공 화 국 통 일 혁 명 로 동 당 청 년".split()  # noqa: SIM905


@dataclass(frozen=True)
class Corpus:
    """Vocabulary and tag names with Zipf-like popularity."""

    words: list[str]
    word_weights: list[float]
    tags: list[str]
    tag_weights: list[float]


def _invent(rng: random.Random, syllables: list[str], count: int, seen: set[str]) -> list[str]:
    made: list[str] = []
    while len(made) < count:
        word = "".join(rng.choices(syllables, k=rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            made.append(word)
    return made


def corpus(rng: random.Random, vocabulary: int = 30_000) -> Corpus:
    """A multilingual-looking vocabulary and ~2,000 tags, both ranked by popularity."""
    seen = set(COMMON)
    third = (vocabulary - len(COMMON)) // 3
    invented = (
        _invent(rng, LATIN, third, seen)
        + _invent(rng, CYRILLIC, third, seen)
        + _invent(rng, HANGUL, third, seen)
    )
    rng.shuffle(invented)
    words = list(COMMON) + invented
    tag_words = _invent(rng, LATIN + CYRILLIC + HANGUL, TAGS * 2, set())
    names = [
        " ".join(pair).title() if i % 3 else pair[0].title()
        for i, pair in enumerate(itertools.pairwise(tag_words))
    ]
    tags = list({tag_key(n): n for n in names}.values())[:TAGS]
    return Corpus(
        words=words,
        word_weights=list(itertools.accumulate(1 / (r + 1) for r in range(len(words)))),
        tags=tags,
        tag_weights=list(itertools.accumulate(1 / (r + 1) ** 1.1 for r in range(TAGS))),
    )


def _rows(
    rng: random.Random, c: Corpus, first: int, count: int
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    announcements: list[dict[str, object]] = []
    links: list[dict[str, object]] = []
    for aid in range(first, first + count):
        roll = rng.random()
        status = (
            Status.PUBLISHED if roll < 0.97 else Status.RETRACTED if roll < 0.99 else Status.DRAFT
        )
        # About one post every 50 minutes over the years, in id order with a little jitter.
        when = START + timedelta(minutes=aid * 50 + rng.randint(0, 30))
        published = when if status is not Status.DRAFT else None
        title = " ".join(rng.choices(c.words, cum_weights=c.word_weights, k=rng.randint(4, 9)))
        body = " ".join(rng.choices(c.words, cum_weights=c.word_weights, k=rng.randint(30, 120)))
        announcements.append(
            {
                "id": aid,
                "title": title.capitalize(),
                "body": body + ".",
                "status": status.value,
                "published_at": published,
                "revision": 1,
                "views": rng.randint(0, 500),
                "created_by": "bench:seed",
                "created_at": when,
                "updated_at": when,
            }
        )
        picked = dict.fromkeys(rng.choices(range(TAGS), cum_weights=c.tag_weights, k=5))
        for position, tag in enumerate(picked):
            links.append(
                {
                    "announcement_id": aid,
                    "tag_id": tag + 1,
                    "published_at": published if status is Status.PUBLISHED else None,
                    "position": position,
                }
            )
    return announcements, links


async def seed(engine: AsyncEngine, c: Corpus, count: int, rng: random.Random) -> float:
    """Bulk-insert `count` announcements with their tags; returns the seconds it took."""
    started = time.perf_counter()
    async with engine.begin() as conn:
        await conn.execute(
            insert(TagRow),
            [
                {"id": i + 1, "key": tag_key(name), "name": name, "published_count": 0}
                for i, name in enumerate(c.tags)
            ],
        )
    for first in range(1, count + 1, CHUNK):
        announcements, links = _rows(rng, c, first, min(CHUNK, count + 1 - first))
        async with engine.begin() as conn:
            await conn.execute(insert(AnnouncementRow), announcements)
            await conn.execute(insert(AnnouncementTagRow), links)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE tags SET published_count = (SELECT count(*) FROM announcement_tags t "
                "WHERE t.tag_id = tags.id AND t.published_at IS NOT NULL)"
            )
        )
        if engine.dialect.name == "postgresql":
            for table in ("announcements", "tags"):
                await conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
    if engine.dialect.name == "postgresql":
        # What autovacuum does soon after a bulk load: statistics and the visibility map.
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - started


def _nothing() -> None:
    return None


@dataclass(frozen=True)
class Probe:
    """One measured query: a name, the layer it goes through, the call, and untimed set-up."""

    name: str
    kind: str
    layer: str
    call: Callable[[], Awaitable[object]]
    # Runs before every call, outside the timing (the cold probes empty the caches here).
    prepare: Callable[[], None] = _nothing


@dataclass(frozen=True)
class Result:
    """p50 and p99 of one probe, in milliseconds."""

    backend: str
    probe: Probe
    p50: float
    p99: float
    samples: int


async def measure(
    backend: str, probes: list[Probe], samples: int, warmup: int = 30
) -> list[Result]:
    """Warm every probe up, then time them in turns, so a burst of load hits all alike."""
    for probe in probes:
        for _ in range(warmup):
            probe.prepare()
            await probe.call()
    times: list[list[float]] = [[] for _ in probes]
    for _ in range(samples):
        for probe, taken in zip(probes, times, strict=True):
            probe.prepare()
            started = time.perf_counter_ns()
            await probe.call()
            taken.append((time.perf_counter_ns() - started) / 1e6)
    results = []
    for probe, taken in zip(probes, times, strict=True):
        cuts = statistics.quantiles(taken, n=100, method="inclusive")
        results.append(Result(backend, probe, cuts[49], cuts[98], samples))
    return results


async def popular(repo: Repository) -> tuple[dict[str, list[str]], str]:
    """Tag names by popularity class (top, around rank 150, least used), and a note."""
    tags = await repo.announcements.tags()
    classes = {"popular": tags[:3], "medium": tags[150:153], "rare": tags[-3:]}
    counts = "; ".join(
        f"{kind} tags carry {'/'.join(f'{t.count:,}' for t in chosen)} posts"
        for kind, chosen in classes.items()
    )
    return {kind: [t.name for t in chosen] for kind, chosen in classes.items()}, counts


def _cycle(values: list[str]) -> Iterator[str]:
    return itertools.cycle(values)


def repository_probes(
    repo: Repository, tags: dict[str, list[str]], searches: dict[str, list[str]]
) -> list[Probe]:
    """The member queries straight through the repository."""
    store = repo.announcements

    def by_tag(keys: Iterator[str]) -> Callable[[], Awaitable[object]]:
        return lambda: store.by_tag(next(keys), page=1, size=5)

    def search(words: Iterator[str]) -> Callable[[], Awaitable[object]]:
        return lambda: store.search(next(words), page=1, size=5)

    probes = [
        Probe(f"tag page, {kind}", "tag", "repo", by_tag(_cycle([tag_key(n) for n in names])))
        for kind, names in tags.items()
    ]
    probes.append(Probe("/tags", "tags", "repo", store.tags))
    for name, words in searches.items():
        probes.append(Probe(name, "search", "repo", search(_cycle(words))))
    probes.append(Probe("latest", "latest", "repo", lambda: store.latest(page=1, size=5)))
    return probes


async def search_words(repo: Repository, c: Corpus) -> dict[str, list[str]]:
    """Common words, pairs of them, and the rarest title word of three recent posts."""
    rank = {word: i for i, word in enumerate(c.words)}
    recent = await repo.announcements.latest(page=1, size=3)
    rare = [max(a.title.lower().split(), key=lambda w: rank.get(w, 0)) for a in recent.items]
    return {
        "search, common word": ["korea", "общество", "조선"],
        "search, two words": ["korea meeting", "дружба народ", "친선 협회"],
        "search, rare word": rare,
    }


CORE_LAYERS = {"cold": "core, cold", "warm": "core, warm"}


def core_probes(
    herald: Herald, tags: dict[str, list[str]], searches: dict[str, list[str]], temperature: str
) -> list[Probe]:
    """The same queries as commands through the command core, cold (cache missed) or warm."""
    layer = CORE_LAYERS[temperature]
    # Cold: every listing cache is emptied before the sample, so the command runs its query
    # and renders the page it loads, as the first member asking after a change or after
    # LISTING_TTL does. Warm: the same few keys again and again, inside the cache's lifetime.
    forget = herald.router.services.announcements.forget_listings
    prepare = forget if temperature == "cold" else _nothing

    def command(texts: Iterator[str], expect: str) -> Callable[[], Awaitable[object]]:
        async def call() -> object:
            sent = next(texts)
            reply = await herald.router.handle(
                Command("console", "bench", ChatKind.CONSOLE, "bench", sent)
            )
            # A bench that measures "unknown tag" replies would flatter the numbers.
            if reply is None or expect not in reply.plain():
                raise RuntimeError(f"{sent!r} did not answer with {expect!r}: {reply}")
            return reply

        return call

    probes = [
        Probe(
            f"tag page, {kind}",
            "tag",
            layer,
            command(_cycle([f"/tag {n}" for n in names]), "#"),
            prepare,
        )
        for kind, names in tags.items()
    ]
    probes.append(Probe("/tags", "tags", layer, command(_cycle(["/tags"]), "Tags"), prepare))
    for name, words in searches.items():
        texts = _cycle([f"/search {w}" for w in words])
        probes.append(Probe(name, "search", layer, command(texts, "Found"), prepare))
    probes.append(Probe("latest", "latest", layer, command(_cycle(["/latest"]), "Latest"), prepare))
    return probes


async def run_backend(
    backend: str, url: str, count: int, samples: int, layers: list[str]
) -> tuple[list[Result], str]:
    """Seed one database and measure every probe on it."""
    rng = random.Random(20261129)
    c = corpus(rng)
    engine = create_engine(url)
    try:
        await upgrade(engine)
        took = await seed(engine, c, count, rng)
        note = f"{backend}: seeded {count:,} announcements in {took:.1f} s"
        print(note, file=sys.stderr)
        repo = Repository.for_engine(engine)
        tags, counts = await popular(repo)
        searches = await search_words(repo, c)
        note += f" ({len(c.tags):,} tags; {counts})"
        results = []
        if "repo" in layers:
            results += await measure(backend, repository_probes(repo, tags, searches), samples)
        temperatures = [t for t in CORE_LAYERS if t in layers or "core" in layers]
        if temperatures:
            herald = await open_herald(Settings(database_url=url, _env_file=None))
            try:
                for temperature in temperatures:
                    probes = core_probes(herald, tags, searches, temperature)
                    results += await measure(backend, probes, samples)
            finally:
                await herald.close()
        return results, note
    finally:
        await engine.dispose()


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def run_postgres(
    base: str, count: int, samples: int, layers: list[str]
) -> tuple[list[Result], str]:
    """Measure on a fresh PostgreSQL database created for the run and dropped after it."""
    name = "herald_bench_" + uuid.uuid4().hex[:8]
    with psycopg.connect(_libpq(base), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = make_url(base).set(database=name).render_as_string(hide_password=False)
        return await run_backend("PostgreSQL", url, count, samples, layers)
    finally:
        with psycopg.connect(_libpq(base), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _postgres_version(base: str) -> str:
    with psycopg.connect(_libpq(base), autocommit=True) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


def table(results: list[Result]) -> str:
    """The results as a markdown table."""
    lines = [
        "| backend | query | through | p50 ms | p99 ms | target p99 | samples |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for r in results:
        target = TARGETS.get(r.probe.kind)
        mark = "" if target is None else f"≤ {target:g} {'✓' if r.p99 <= target else '✗'}"
        lines.append(
            f"| {r.backend} | {r.probe.name} | {r.probe.layer} | {r.p50:.2f} | {r.p99:.2f} "
            f"| {mark} | {r.samples} |"
        )
    return "\n".join(lines)


async def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run each backend, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--postgres", default=os.environ.get("HERALD_TEST_POSTGRES_URL"))
    parser.add_argument(
        "--layers", default="core", help="comma list of: repo, cold, warm (core: cold and warm)"
    )
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args(argv)
    layers = args.layers.split(",")
    results: list[Result] = []
    notes: list[str] = []
    if "sqlite" in args.backends:
        with tempfile.TemporaryDirectory(prefix="herald-bench-") as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
            found, note = await run_backend("SQLite", url, args.count, args.samples, layers)
            results += found
            notes.append(note)
    versions = f"SQLite {sqlite3.sqlite_version}"
    if "postgres" in args.backends:
        if args.postgres:
            found, note = await run_postgres(args.postgres, args.count, args.samples, layers)
            results += found
            notes.append(note)
            versions += f", PostgreSQL {_postgres_version(args.postgres)}"
        else:
            notes.append("PostgreSQL skipped: pass --postgres URL or set HERALD_TEST_POSTGRES_URL")
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {platform.machine()} · {os.cpu_count()} CPUs · "
        f"Python {platform.python_version()} · {versions} · "
        f"load average {os.getloadavg()[0]:.1f} at the end\n"
    )
    print(table(results))
    print()
    for note in notes:
        print(f"- {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
