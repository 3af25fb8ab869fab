"""Formatted bodies: style runs stored, read back, replaced by an edit, loaded for delivery."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from bot.delivery.render import render
from bot.domain import Status
from bot.formatting import Style, TextStyle, styles_from_json, styles_to_json
from bot.ports import ManualClock
from storage import outbox
from storage.repository import Repository
from tests.storage.util import chat, new

RUNS = (
    TextStyle(Style.BOLD, 0, 10),
    TextStyle(Style.ITALIC, 5, 10),
    TextStyle(Style.LINK, 11, 15, url="https://example.org/?a=1&b=2"),
    TextStyle(Style.PRE, 16, 20, language="python"),
)


async def _stored(repo: Repository, announcement_id: int) -> str | None:
    async with repo.sessions() as session:
        found = await session.scalar(
            text("SELECT body_styles FROM announcements WHERE id = :id"), {"id": announcement_id}
        )
        return None if found is None else str(found)


async def test_runs_are_stored_read_back_and_replaced_by_an_edit(
    repo: Repository, clock: ManualClock
) -> None:
    target = await chat(repo, clock, "-100", everything=True)
    created = await repo.announcements.create(
        replace(new("T", "0123456789 link code"), body_styles=RUNS),
        status=Status.PUBLISHED,
        now=clock.now(),
        actor="console:owner",
    )
    a = created.announcement
    assert a.body_styles == RUNS
    assert await repo.announcements.get(a.id) == a
    assert (await repo.announcements.latest(page=1, size=5)).items[0].body_styles == RUNS
    assert styles_from_json(await _stored(repo, a.id)) == RUNS

    async with repo.sessions() as session:
        claimed = await outbox.load(session, [1])
    assert claimed[0].chat_id == target.id
    content = claimed[0].content
    assert content is not None
    assert render(claimed[0], content).body_styles == RUNS

    edited = await repo.announcements.edit(
        a.id, title="T", body="new body", tags=None, now=clock.now(), actor="console:owner",
        body_styles=(TextStyle(Style.UNDERLINE, 0, 3),),
    )
    assert edited.announcement.body_styles == (TextStyle(Style.UNDERLINE, 0, 3),)
    plain = await repo.announcements.edit(
        a.id, title="T", body="plain now", tags=None, now=clock.now(), actor="console:owner"
    )
    assert plain.announcement.body_styles == ()
    assert await _stored(repo, a.id) is None


async def test_plain_posts_store_null(repo: Repository, clock: ManualClock) -> None:
    a = (
        await repo.announcements.create(new(), status=Status.DRAFT, now=clock.now())
    ).announcement
    assert a.body_styles == ()
    assert await _stored(repo, a.id) is None


_RUN = st.builds(
    TextStyle,
    st.sampled_from(list(Style)),
    st.integers(0, 10_000),
    st.integers(0, 10_000),
    st.none() | st.text(max_size=30),
    st.none() | st.text(max_size=10),
)


@given(st.lists(_RUN, max_size=8))
def test_styles_json_round_trip(runs: list[TextStyle]) -> None:
    stored = styles_to_json(tuple(runs))
    assert (stored is None) == (not runs)
    assert styles_from_json(stored) == tuple(runs)
    assert styles_from_json('[{"s":"blink","a":0,"b":1}]') == ()


async def test_claimed_rows_carry_the_runs(repo: Repository, clock: ManualClock) -> None:
    await chat(repo, clock, "-100", everything=True)
    await repo.announcements.create(
        replace(new("T", "0123456789 link code"), body_styles=RUNS),
        status=Status.PUBLISHED,
        now=clock.now(),
        actor="console:owner",
    )
    async with repo.sessions.begin() as session:
        (claimed,) = await outbox.claim(
            session, platforms=["telegram"], owner="w1", now=clock.now(), lease_seconds=30,
            limit=10,
        )
    assert claimed.content is not None
    assert render(claimed, claimed.content).body_styles == RUNS
