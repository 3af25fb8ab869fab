"""Publishing writes the outbox once, even when several processes race for the same work."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from bot.domain import Status, WrongState
from bot.ports import ManualClock
from storage.models import MessageCopyRow
from storage.repository import Repository
from tests.storage.util import chat, deliveries, post


async def test_publish_enqueues_one_send_per_subscribed_active_chat(
    repo: Repository, clock: ManualClock
) -> None:
    everything = await chat(repo, clock, "1", everything=True)
    korea = await chat(repo, clock, "2", tags=["korea"])
    both = await chat(repo, clock, "3", everything=True, tags=["korea", "events"])
    await chat(repo, clock, "4", tags=["other"])
    await chat(repo, clock, "5")
    gone_all = await chat(repo, clock, "6", everything=True)
    gone_tag = await chat(repo, clock, "7", tags=["korea"])
    for gone in (gone_all, gone_tag):
        await repo.chats.deactivate("telegram", gone.external_id, "blocked", now=clock.now())
    result = await post(repo, clock, tags=["#Korea", "EVENTS"])
    wanted = sorted(c.id for c in (everything, korea, both))
    assert result.deliveries == 3
    rows = await deliveries(repo, result.announcement.id)
    assert rows == [(cid, "send", "pending") for cid in wanted]


async def test_untagged_post_goes_to_everything_subscribers_only(
    repo: Repository, clock: ManualClock
) -> None:
    everything = await chat(repo, clock, "1", everything=True)
    await chat(repo, clock, "2", tags=["korea"])
    result = await post(repo, clock)
    assert await deliveries(repo, result.announcement.id) == [(everything.id, "send", "pending")]


async def test_draft_enqueues_nothing_until_published(repo: Repository, clock: ManualClock) -> None:
    target = await chat(repo, clock, "1", tags=["korea"])
    draft = (await post(repo, clock, tags=["Korea"], status=Status.DRAFT)).announcement
    assert await deliveries(repo, draft.id) == []
    result = await repo.announcements.publish(draft.id, now=clock.now(), actor="c:o")
    assert result.deliveries == 1
    assert await deliveries(repo, draft.id) == [(target.id, "send", "pending")]


async def test_retract_cancels_unsent_sends(repo: Repository, clock: ManualClock) -> None:
    target = await chat(repo, clock, "1", everything=True)
    a = (await post(repo, clock)).announcement
    result = await repo.announcements.retract(a.id, now=clock.now(), actor="c:o")
    assert result.deliveries == 0  # nothing was sent yet, so nothing to delete
    assert await deliveries(repo, a.id) == [(target.id, "send", "skipped")]


async def _schedule(repo: Repository, clock: ManualClock, count: int) -> list[int]:
    ids = []
    for i in range(count):
        draft = await post(repo, clock, f"due {i}", tags=["Korea"], status=Status.DRAFT)
        aid = draft.announcement.id
        await repo.announcements.schedule(aid, when=clock.now(), now=clock.now(), actor="c:o")
        ids.append(aid)
    return ids


async def test_publish_due_races_claim_each_once(
    repo: Repository, other_repo: Repository, clock: ManualClock
) -> None:
    chats = [
        await chat(repo, clock, str(i), everything=i % 2 == 0, tags=["korea"]) for i in range(4)
    ]
    ids = await _schedule(repo, clock, 12)
    clock.advance(60)
    rounds = await asyncio.gather(
        *(r.announcements.publish_due(now=clock.now(), limit=5) for r in (repo, other_repo) * 3)
    )
    published = Counter(result.announcement.id for results in rounds for result in results)
    assert sorted(published) == ids
    assert set(published.values()) == {1}
    for aid in ids:
        assert [c for c, _, _ in await deliveries(repo, aid)] == [c.id for c in chats]
    assert [(t.key, t.count) for t in await repo.announcements.tags()] == [("korea", 12)]


async def test_publish_races_publish_once(
    repo: Repository, other_repo: Repository, clock: ManualClock
) -> None:
    target = await chat(repo, clock, "1", everything=True)
    draft = (await post(repo, clock, tags=["Korea"], status=Status.DRAFT)).announcement

    async def attempt(r: Repository) -> int:
        try:
            return (
                await r.announcements.publish(draft.id, now=clock.now(), actor="c:o")
            ).deliveries
        except WrongState:
            return -1

    outcomes = await asyncio.gather(*(attempt(r) for r in (repo, other_repo) * 2))
    assert sorted(outcomes) == [-1, -1, -1, 1]
    assert await deliveries(repo, draft.id) == [(target.id, "send", "pending")]
    assert [(t.key, t.count) for t in await repo.announcements.tags()] == [("korea", 1)]


async def test_retract_races_count_once(
    repo: Repository, other_repo: Repository, clock: ManualClock
) -> None:
    await post(repo, clock, tags=["Korea"])
    a = (await post(repo, clock, tags=["Korea"])).announcement

    async def attempt(r: Repository) -> bool:
        try:
            await r.announcements.retract(a.id, now=clock.now(), actor="c:o")
        except WrongState:
            return False
        return True

    outcomes = await asyncio.gather(*(attempt(r) for r in (repo, other_repo) * 2))
    assert sorted(outcomes) == [False, False, False, True]
    assert [(t.key, t.count) for t in await repo.announcements.tags()] == [("korea", 1)]


async def test_edits_race_without_losing_revisions(
    repo: Repository, other_repo: Repository, clock: ManualClock
) -> None:
    a = (await post(repo, clock, tags=["Korea"])).announcement
    await asyncio.gather(
        *(
            r.announcements.edit(
                a.id, title=f"t{i}", body="b", tags=None, now=clock.now(), actor="c:o"
            )
            for i, r in enumerate((repo, other_repo) * 3)
        )
    )
    got = await repo.announcements.get(a.id)
    assert got is not None
    assert got.revision == 7


async def test_posts_racing_on_a_new_tag_share_it(
    repo: Repository, other_repo: Repository, clock: ManualClock
) -> None:
    await asyncio.gather(
        *(post(r, clock, tags=["Brand New", "other"]) for r in (repo, other_repo) * 3)
    )
    counts = {t.key: t.count for t in await repo.announcements.tags()}
    assert counts == {"brand new": 6, "other": 6}


async def test_edit_and_retract_reach_every_sent_copy(repo: Repository, clock: ManualClock) -> None:
    first = await chat(repo, clock, "1", everything=True)
    second = await chat(repo, clock, "2", everything=True)
    a = (await post(repo, clock)).announcement
    async with repo.sessions.begin() as session:
        for target in (first, second):
            session.add(
                MessageCopyRow(
                    announcement_id=a.id,
                    chat_id=target.id,
                    message_ids="17",
                    sent_at=clock.now(),
                    updated_at=clock.now(),
                )
            )
    edited = await repo.announcements.edit(
        a.id, title="t", body="b", tags=None, now=clock.now(), actor="c:o"
    )
    assert edited.deliveries == 2
    retracted = await repo.announcements.retract(a.id, now=clock.now(), actor="c:o")
    assert retracted.deliveries == 2
    actions = [(c, action) for c, action, _ in await deliveries(repo, a.id)]
    assert sorted(actions) == sorted(
        [(c.id, action) for c in (first, second) for action in ("send", "edit", "delete")]
    )


async def test_new_announcement_is_draft_or_published(repo: Repository, clock: ManualClock) -> None:
    for status in (Status.SCHEDULED, Status.RETRACTED):
        with pytest.raises(ValueError, match="draft or published"):
            await post(repo, clock, status=status)
