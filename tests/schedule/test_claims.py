"""Claiming an occurrence: one unique row, deliveries to the right chats, nothing twice."""

from __future__ import annotations

import asyncio
from datetime import date

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.ports import ManualClock
from storage.occurrences import claim_occurrence, claimed_keys, count_fired, fired
from storage.outbox import claim
from storage.repository import Repository

from .support import build


async def test_a_claim_writes_one_row_and_sends_to_everything_and_tag_subscribers(
    repo: Repository, engine: AsyncEngine, clock: ManualClock
) -> None:
    herald = build(repo, engine, clock)
    everything = await herald.chat("1", everything=True)
    korea = await herald.chat("2", tags=["korea"])
    await herald.chat("3", tags=["music"])
    await herald.chat("4")
    both = await herald.chat("5", everything=True, tags=["korea"])
    anniversary = await herald.add("Liberation", 8, 15, 1945, tags=["Korea"])

    oid = await claim_occurrence(
        repo.sessions, anniversary_id=anniversary.id, occurs_on=date(2026, 8, 15), kind="day",
        title="Today is the 81st anniversary of Liberation", body="Flags", tag_keys=["korea"],
        now=clock.now(),
    )

    assert oid is not None
    assert sorted(await herald.deliveries()) == sorted(
        [(everything, oid, None), (korea, oid, None), (both, oid, None)]
    )
    [row] = await fired(repo.sessions)
    assert (row.id, row.kind, row.occurs_on, row.fired_at) == (
        oid, "day", date(2026, 8, 15), clock.now()
    )
    # The delivery engine reads the stored text back with the row.
    async with repo.sessions.begin() as session:
        claimed = await claim(
            session, platforms=["telegram"], owner="t", now=clock.now(), lease_seconds=30,
            limit=10,
        )
    assert {c.content.title for c in claimed if c.content} == {
        "Today is the 81st anniversary of Liberation"
    }
    assert {c.content.kind for c in claimed if c.content} == {"day"}


async def test_a_second_claim_of_the_same_firing_writes_nothing(
    repo: Repository, engine: AsyncEngine, clock: ManualClock
) -> None:
    herald = build(repo, engine, clock)
    await herald.chat("1", everything=True)
    anniversary = await herald.add("Liberation", 8, 15, 1945)

    async def claim_kind(kind: str) -> int | None:
        return await claim_occurrence(
            repo.sessions, anniversary_id=anniversary.id, occurs_on=date(2026, 8, 15),
            kind=kind, title="t", body="", tag_keys=[], now=clock.now(),
        )

    first = await claim_kind("day")
    again = await claim_kind("day")
    reminder = await claim_kind("before:7")

    assert first is not None
    assert reminder is not None
    assert again is None
    assert await count_fired(repo.sessions) == 2
    assert len(await herald.deliveries()) == 2
    keys = await claimed_keys(
        repo.sessions, anniversary_ids=[anniversary.id], first=date(2026, 1, 1),
        last=date(2026, 12, 31),
    )
    day = date(2026, 8, 15)
    assert keys == {(anniversary.id, day, "day"), (anniversary.id, day, "before:7")}


async def test_concurrent_claims_of_one_firing_let_exactly_one_through(
    repo: Repository, engine: AsyncEngine, clock: ManualClock
) -> None:
    herald = build(repo, engine, clock)
    for n in range(5):
        await herald.chat(str(n), everything=True)
    anniversary = await herald.add("Liberation", 8, 15, 1945)

    results = await asyncio.gather(
        *(
            claim_occurrence(
                repo.sessions, anniversary_id=anniversary.id, occurs_on=date(2026, 8, 15),
                kind="day", title="t", body="", tag_keys=[], now=clock.now(),
            )
            for _ in range(8)
        )
    )

    assert len([r for r in results if r is not None]) == 1
    assert await count_fired(repo.sessions) == 1
    assert len(await herald.deliveries()) == 5
