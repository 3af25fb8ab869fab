"""Announcement life cycle: create, draft, publish, schedule, edit, retract, listings."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.domain import NotFound, Status, TagCount, WrongState
from bot.ports import ManualClock
from storage.repository import Repository
from tests.storage.util import deliveries, new, post


async def test_create_published_reads_back(repo: Repository, clock: ManualClock) -> None:
    now = clock.now()
    result = await post(repo, clock, "Meeting", "Body <b>&amp;</b> *x* _y_ `z`", ["Events"])
    a = result.announcement
    assert (a.title, a.body, a.tags) == ("Meeting", "Body <b>&amp;</b> *x* _y_ `z`", ("Events",))
    assert a.status is Status.PUBLISHED
    assert a.revision == 1
    assert a.views == 0
    assert a.published_at == now
    assert a.created_at == now
    assert a.publish_at is None
    assert a.created_by == "console:owner"
    assert await repo.announcements.get(a.id) == a
    assert await repo.announcements.get(a.id + 1000) is None


async def test_draft_is_hidden_until_published(repo: Repository, clock: ManualClock) -> None:
    draft = (await post(repo, clock, tags=["Events"], status=Status.DRAFT)).announcement
    assert draft.status is Status.DRAFT
    assert draft.published_at is None
    assert (await repo.announcements.latest(page=1, size=10)).total == 0
    assert await repo.announcements.tags() == []
    assert (await repo.announcements.counts()) == {"draft": 1}
    published = await repo.announcements.publish(draft.id, now=clock.now(), actor="console:o")
    assert published.announcement.status is Status.PUBLISHED
    assert published.announcement.published_at == clock.now()
    assert [t.count for t in await repo.announcements.tags()] == [1]
    assert (await repo.announcements.latest(page=1, size=10)).total == 1
    with pytest.raises(WrongState) as info:
        await repo.announcements.publish(draft.id, now=clock.now(), actor="console:o")
    assert info.value.status is Status.PUBLISHED
    with pytest.raises(NotFound):
        await repo.announcements.publish(draft.id + 99, now=clock.now(), actor="console:o")


async def test_schedule_then_publish_due(repo: Repository, clock: ManualClock) -> None:
    draft = (await post(repo, clock, tags=["Events"], status=Status.DRAFT)).announcement
    when = clock.now() + timedelta(hours=2)
    scheduled = await repo.announcements.schedule(
        draft.id, when=when, now=clock.now(), actor="console:o"
    )
    assert scheduled.status is Status.SCHEDULED
    assert scheduled.publish_at == when
    assert await repo.announcements.publish_due(now=clock.now()) == []
    clock.set(when)
    results = await repo.announcements.publish_due(now=clock.now())
    assert [r.announcement.id for r in results] == [draft.id]
    assert results[0].announcement.status is Status.PUBLISHED
    assert results[0].announcement.published_at == when
    assert results[0].announcement.publish_at is None
    assert await repo.announcements.publish_due(now=clock.now() + timedelta(days=1)) == []
    assert (await repo.announcements.tag("events")) is not None
    with pytest.raises(WrongState):
        await repo.announcements.schedule(draft.id, when=when, now=clock.now(), actor="c:o")


async def test_publish_due_respects_limit(repo: Repository, clock: ManualClock) -> None:
    ids = []
    for _ in range(5):
        draft = (await post(repo, clock, status=Status.DRAFT)).announcement
        await repo.announcements.schedule(draft.id, when=clock.now(), now=clock.now(), actor="c:o")
        ids.append(draft.id)
    first = await repo.announcements.publish_due(now=clock.now(), limit=3)
    second = await repo.announcements.publish_due(now=clock.now(), limit=3)
    assert len(first) == 3
    assert len(second) == 2
    assert sorted(r.announcement.id for r in first + second) == ids


async def test_edit_increments_revision_and_replaces_tags(
    repo: Repository, clock: ManualClock
) -> None:
    a = (await post(repo, clock, tags=["Events", "Korea"])).announcement
    await post(repo, clock, tags=["Korea"])
    edited = await repo.announcements.edit(
        a.id, title="New", body="New body", tags=["Korea", "History"], now=clock.now(), actor="c:o"
    )
    assert edited.announcement.revision == 2
    assert (edited.announcement.title, edited.announcement.body) == ("New", "New body")
    assert edited.announcement.tags == ("Korea", "History")
    counts = {t.key: t.count for t in await repo.announcements.tags()}
    assert counts == {"korea": 2, "history": 1}
    assert (await repo.announcements.by_tag("events", page=1, size=5)) is not None
    assert (await repo.announcements.by_tag("events", page=1, size=5)).total == 0  # type: ignore[union-attr]
    again = await repo.announcements.edit(
        a.id, title="Newer", body="b", tags=None, now=clock.now(), actor="c:o"
    )
    assert again.announcement.revision == 3
    assert again.announcement.tags == ("Korea", "History")
    assert (await repo.announcements.search("newer", page=1, size=5)).total == 1
    assert (await repo.announcements.search("meeting", page=1, size=5)).total == 0


async def test_edit_draft_keeps_counts_at_zero(repo: Repository, clock: ManualClock) -> None:
    a = (await post(repo, clock, tags=["Events"], status=Status.DRAFT)).announcement
    await repo.announcements.edit(
        a.id, title="t", body="b", tags=["Other"], now=clock.now(), actor="c:o"
    )
    assert await repo.announcements.tags() == []
    published = await repo.announcements.publish(a.id, now=clock.now(), actor="c:o")
    assert published.announcement.tags == ("Other",)
    assert [(t.key, t.count) for t in await repo.announcements.tags()] == [("other", 1)]


async def test_retract_hides_and_drops_counts(repo: Repository, clock: ManualClock) -> None:
    keep = (await post(repo, clock, "keep", "alpha", ["Korea"])).announcement
    gone = (await post(repo, clock, "gone", "alpha", ["Korea", "Events"])).announcement
    result = await repo.announcements.retract(gone.id, now=clock.now(), actor="c:o")
    assert result.announcement.status is Status.RETRACTED
    assert result.announcement.revision == 2
    assert [(t.key, t.count) for t in await repo.announcements.tags()] == [("korea", 1)]
    latest = await repo.announcements.latest(page=1, size=10)
    assert [a.id for a in latest.items] == [keep.id]
    assert latest.total == 1
    page = await repo.announcements.by_tag("korea", page=1, size=10)
    assert page is not None
    assert [a.id for a in page.items] == [keep.id]
    found = await repo.announcements.search("alpha", page=1, size=10)
    assert [a.id for a in found.items] == [keep.id]
    assert found.total == 1
    with pytest.raises(WrongState):
        await repo.announcements.retract(gone.id, now=clock.now(), actor="c:o")
    with pytest.raises(WrongState):
        await repo.announcements.edit(
            gone.id, title="x", body="y", tags=None, now=clock.now(), actor="c:o"
        )
    assert await repo.announcements.counts() == {"published": 1, "retracted": 1}


async def test_retract_draft_writes_nothing(repo: Repository, clock: ManualClock) -> None:
    draft = (await post(repo, clock, tags=["Korea"], status=Status.DRAFT)).announcement
    result = await repo.announcements.retract(draft.id, now=clock.now(), actor="c:o")
    assert result.deliveries == 0
    assert await deliveries(repo, draft.id) == []
    assert await repo.announcements.tags() == []


async def test_latest_paging(repo: Repository, clock: ManualClock) -> None:
    ids = [(await post(repo, clock, f"n{i}")).announcement.id for i in range(7)]
    first = await repo.announcements.latest(page=1, size=3)
    assert [a.id for a in first.items] == ids[::-1][:3]
    assert (first.page, first.pages, first.total) == (1, 3, 7)
    last = await repo.announcements.latest(page=3, size=3)
    assert [a.id for a in last.items] == [ids[0]]
    beyond = await repo.announcements.latest(page=4, size=3)
    assert beyond.items == ()
    assert beyond.total == 7


async def test_by_tag_paging_and_unknown(repo: Repository, clock: ManualClock) -> None:
    tagged = [(await post(repo, clock, tags=["Korea", f"t{i}"])).announcement.id for i in range(5)]
    await post(repo, clock, tags=["Other"])
    page = await repo.announcements.by_tag("korea", page=2, size=2)
    assert page is not None
    assert [a.id for a in page.items] == tagged[::-1][2:4]
    assert (page.page, page.pages, page.total) == (2, 3, 5)
    beyond = await repo.announcements.by_tag("korea", page=9, size=2)
    assert beyond is not None
    assert (beyond.items, beyond.total) == ((), 5)
    assert await repo.announcements.by_tag("nope", page=1, size=2) is None
    found = await repo.announcements.tag_page("korea", page=1, size=2)
    assert found is not None
    assert found[0] == TagCount("korea", "Korea", 5)
    assert [a.id for a in found[1].items] == tagged[::-1][:2]
    assert await repo.announcements.tag_page("nope", page=1, size=2) is None
    await repo.announcements.retract(
        (await repo.announcements.latest(page=1, size=1)).items[0].id, now=clock.now(), actor="c"
    )
    unused = await repo.announcements.tag_page("other", page=1, size=2)
    assert unused is not None
    assert (unused[0].count, unused[1].items, unused[1].total) == (0, (), 0)


async def test_tags_listing_and_names(repo: Repository, clock: ManualClock) -> None:
    for tags in (["Korea", "History"], ["Korea"], ["Korean War"], ["Events"]):
        await post(repo, clock, tags=tags)
    listed = await repo.announcements.tags()
    assert next((t.key, t.name, t.count) for t in listed) == ("korea", "Korea", 2)
    assert {t.key for t in listed} == {"korea", "history", "korean war", "events"}
    assert await repo.announcements.tags(limit=2) == listed[:2]
    assert await repo.announcements.tags_in_use() == 4
    one = await repo.announcements.tag("korean war")
    assert one is not None
    assert (one.name, one.count) == ("Korean War", 1)
    assert await repo.announcements.tag("missing") is None
    names = await repo.announcements.tag_names("kor", 5)
    assert names[0] == "Korea"
    assert set(names) == {"Korea", "Korean War"}
    assert await repo.announcements.tag_names("ea", 1) == ["Korea"]
    assert await repo.announcements.tag_names("%", 5) == []


async def test_views_counter_counts_each_viewer_once(repo: Repository, clock: ManualClock) -> None:
    a = (await post(repo, clock)).announcement
    counted = [await repo.announcements.count_view(a.id, "reader-1") for _ in range(3)]
    assert counted == [True, False, False]
    assert await repo.announcements.count_view(a.id, "reader-2")
    got = await repo.announcements.get(a.id)
    assert got is not None
    assert got.views == 2


async def test_upsert_imported_twice_updates_one_row(repo: Repository, clock: ManualClock) -> None:
    first = replace(new("Old title", "Old body", ["Korea"]), source_key="society:1", views=10)
    aid, created = await repo.announcements.upsert_imported(first, now=clock.now())
    assert created
    clock.advance(60)
    second = replace(first, title="New title", views=335, tags=("Events",))
    again, created_again = await repo.announcements.upsert_imported(second, now=clock.now())
    assert (again, created_again) == (aid, False)
    got = await repo.announcements.get(aid)
    assert got is not None
    assert (got.title, got.views, got.tags, got.revision) == ("New title", 335, ("Events",), 2)
    assert got.status is Status.PUBLISHED
    assert got.source_key == "society:1"
    assert (await repo.announcements.latest(page=1, size=10)).total == 1
    assert [(t.key, t.count) for t in await repo.announcements.tags()] == [("events", 1)]
    assert await deliveries(repo, aid) == []
    with pytest.raises(ValueError, match="source key"):
        await repo.announcements.upsert_imported(new(), now=clock.now())


async def test_nul_character_refused_on_every_backend(repo: Repository, clock: ManualClock) -> None:
    with pytest.raises(ValueError, match="NUL"):
        await post(repo, clock, "title", "a\x00b")
    a = (await post(repo, clock)).announcement
    with pytest.raises(ValueError, match="NUL"):
        await repo.announcements.edit(
            a.id, title="t\x00", body="b", tags=None, now=clock.now(), actor="c:o"
        )
    assert await repo.announcements.counts() == {"published": 1}
