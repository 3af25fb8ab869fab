"""Anniversaries: add, read, update, remove."""

from __future__ import annotations

from bot.domain import AnniversaryFields
from bot.ports import ManualClock
from storage.repository import Repository
from tests.storage.util import post


async def test_crud(repo: Repository, clock: ManualClock) -> None:
    linked = (await post(repo, clock)).announcement
    victory = await repo.anniversaries.add(
        AnniversaryFields(
            "Victory Day",
            5,
            9,
            year=1945,
            time_of_day="10:00",
            timezone="Europe/Moscow",
            text="Годовщина Победы",
            announcement_id=linked.id,
            tags=("История", "Korea"),
            reminder_days=(7, 1),
        ),
        actor="console:owner",
        now=clock.now(),
    )
    founding = await repo.anniversaries.add(
        AnniversaryFields("조선 founding", 9, 9), actor="telegram:7", now=clock.now()
    )
    leap = await repo.anniversaries.add(
        AnniversaryFields("Leap", 2, 29, reminder_days=()), actor="telegram:7", now=clock.now()
    )
    assert (victory.year, victory.tags, victory.reminder_days) == (
        1945,
        ("История", "Korea"),
        (7, 1),
    )
    assert (victory.timezone, victory.time_of_day, victory.announcement_id) == (
        "Europe/Moscow",
        "10:00",
        linked.id,
    )
    assert (founding.year, founding.tags, founding.reminder_days) == (None, (), None)
    assert founding.created_by == "telegram:7"
    assert leap.reminder_days == ()
    assert await repo.anniversaries.get(victory.id) == victory
    assert [a.id for a in await repo.anniversaries.all()] == [leap.id, victory.id, founding.id]

    changed = await repo.anniversaries.update(
        founding.id, AnniversaryFields("Founding", 9, 10, year=1948), actor="c:o", now=clock.now()
    )
    assert changed is not None
    assert (changed.id, changed.title, changed.day, changed.year) == (
        founding.id,
        "Founding",
        10,
        1948,
    )
    assert changed.created_by == "telegram:7"
    assert (
        await repo.anniversaries.update(
            999, AnniversaryFields("x", 1, 1), actor="c", now=clock.now()
        )
        is None
    )

    assert await repo.anniversaries.remove(victory.id, actor="c:o", now=clock.now())
    assert not await repo.anniversaries.remove(victory.id, actor="c:o", now=clock.now())
    assert await repo.anniversaries.get(victory.id) is None
    assert [a.id for a in await repo.anniversaries.all()] == [leap.id, founding.id]


async def test_retracting_linked_announcement_keeps_anniversary(
    repo: Repository, clock: ManualClock
) -> None:
    linked = (await post(repo, clock)).announcement
    saved = await repo.anniversaries.add(
        AnniversaryFields("Day", 1, 2, announcement_id=linked.id), actor="c:o", now=clock.now()
    )
    await repo.announcements.retract(linked.id, now=clock.now(), actor="c:o")
    got = await repo.anniversaries.get(saved.id)
    assert got is not None
    assert got.announcement_id == linked.id
