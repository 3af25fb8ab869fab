"""The sweep: on time, once, within the grace window, to the right chats; scheduled posts too."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select, update

from bot.delivery import render
from bot.domain import NewAnnouncement, Status
from bot.ports import ManualClock
from bot.schedule.occurrences import LeapPolicy
from storage import outbox
from storage.models import AnniversaryRow, DeliveryRow
from storage.repository import Repository

from .conftest import Make
from .support import OWNER

SECOND = timedelta(seconds=1)
# 09:00 in Seoul on 15 August 2026.
SEOUL_NINE = datetime(2026, 8, 15, 0, 0, tzinfo=UTC)


async def test_fires_at_its_local_time_once_and_not_before(
    repo: Repository, make: Make, clock: ManualClock
) -> None:
    herald = make()
    await herald.chat("1", everything=True)
    await herald.add("the liberation of Korea", 8, 15, 1945, zone="Asia/Seoul", text="Flags")
    scheduler = herald.scheduler()

    clock.set(SEOUL_NINE - SECOND)
    assert await scheduler.tick() == 0
    clock.set(SEOUL_NINE)
    assert await scheduler.tick() == 1
    assert await scheduler.tick() == 0
    assert await (await herald.restart()).tick() == 0

    [row] = await herald.occurrences()
    assert (row.kind, row.occurs_on.isoformat(), row.fired_at) == ("day", "2026-08-15", SEOUL_NINE)
    assert row.title == "Today is the 81st anniversary of the liberation of Korea"
    assert row.body == "Flags"
    assert len(await herald.deliveries()) == 1
    assert herald.wakes.count == 1


async def test_reminders_fire_days_before_at_the_same_local_time(
    repo: Repository, make: Make, clock: ManualClock
) -> None:
    herald = make(zone="Europe/Berlin", reminder_days=(7, 1))
    await herald.chat("1", everything=True)
    await herald.add("Reunification", 10, 3, 1990)
    scheduler = herald.scheduler()

    fired: list[tuple[str, datetime]] = []
    for _ in range(3):
        plan = await scheduler.plan()
        [occurrence] = plan.values()
        clock.set(occurrence.fire_at)
        assert await scheduler.tick() == 1
        fired.append((occurrence.kind, occurrence.fire_at))

    # 09:00 CEST is 07:00 UTC.
    assert fired == [
        ("before:7", datetime(2026, 9, 26, 7, 0, tzinfo=UTC)),
        ("before:1", datetime(2026, 10, 2, 7, 0, tzinfo=UTC)),
        ("day", datetime(2026, 10, 3, 7, 0, tzinfo=UTC)),
    ]
    titles = [row.title for row in await herald.occurrences()]
    assert titles == [
        "In 7 days: the 36th anniversary of Reunification (3 October)",
        "Tomorrow: the 36th anniversary of Reunification (3 October)",
        "Today is the 36th anniversary of Reunification",
    ]


async def test_missed_within_the_grace_window_fires_once_at_restart(
    repo: Repository, make: Make, clock: ManualClock
) -> None:
    herald = make(grace=timedelta(hours=12))
    await herald.chat("1", everything=True)
    await herald.add("the liberation of Korea", 8, 15, 1945, zone="Asia/Seoul")

    clock.set(SEOUL_NINE + timedelta(hours=2))
    assert await (await herald.restart()).tick() == 1
    assert await (await herald.restart()).tick() == 0
    [row] = await herald.occurrences()
    assert row.fired_at == SEOUL_NINE + timedelta(hours=2)
    assert len(await herald.deliveries()) == 1


async def test_missed_beyond_the_grace_window_is_logged_and_skipped(
    make: Make, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    herald = make(grace=timedelta(hours=12))
    await herald.chat("1", everything=True)
    anniversary = await herald.add("the liberation of Korea", 8, 15, 1945, zone="Asia/Seoul")

    clock.set(SEOUL_NINE + timedelta(days=2))
    scheduler = herald.scheduler()
    with caplog.at_level(logging.WARNING, logger="bot.schedule.scheduler"):
        assert await scheduler.tick() == 0
        assert await scheduler.tick() == 0
    assert await herald.occurrences() == []
    assert await herald.deliveries() == []
    skipped = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert len(skipped) == 1, "reported once, not on every sweep"
    assert f"anniversary {anniversary.id} day on 2026-08-15" in skipped[0]


async def test_a_reminder_overtaken_by_its_day_stays_silent(
    repo: Repository, make: Make, clock: ManualClock
) -> None:
    herald = make(grace=timedelta(hours=36), reminder_days=(1,))
    await herald.chat("1", everything=True)
    clock.set(datetime(2026, 8, 1, tzinfo=UTC))
    await herald.add("the liberation of Korea", 8, 15, 1945, zone="Asia/Seoul")

    # Down from before the reminder until after the day: both within grace, only the day speaks.
    clock.set(SEOUL_NINE + timedelta(hours=1))
    assert await (await herald.restart()).tick() == 1
    assert [row.kind for row in await herald.occurrences()] == ["day"]


async def test_nothing_fires_for_instants_before_the_anniversary_was_added(
    repo: Repository, make: Make, clock: ManualClock
) -> None:
    herald = make()
    await herald.chat("1", everything=True)
    clock.set(SEOUL_NINE + timedelta(hours=1))
    await herald.add("the liberation of Korea", 8, 15, 1945, zone="Asia/Seoul")

    assert await (await herald.restart()).tick() == 0
    clock.set(datetime(2027, 8, 15, tzinfo=UTC))
    assert await (await herald.restart()).tick() == 1
    assert [row.occurs_on.year for row in await herald.occurrences()] == [2027]


@pytest.mark.parametrize(
    ("policy", "common_year_day"),
    [(LeapPolicy.FEB_28, (2, 28)), (LeapPolicy.MAR_1, (3, 1))],
)
async def test_29_february_falls_by_policy_in_common_years(
 make: Make, clock: ManualClock, policy: LeapPolicy, common_year_day: tuple[int, int]
) -> None:
    herald = make(zone="Europe/Moscow", policy=policy)
    await herald.chat("1", everything=True)
    await herald.add("Leap founding", 2, 29, 2000)
    scheduler = herald.scheduler()

    for _ in range(5):
        [occurrence] = (await scheduler.plan()).values()
        clock.set(occurrence.fire_at - SECOND)
        assert await scheduler.tick() == 0
        clock.set(occurrence.fire_at)
        assert await scheduler.tick() == 1

    rows = await herald.occurrences()
    month, day = common_year_day
    assert [r.occurs_on.isoformat() for r in rows] == [
        f"2027-{month:02}-{day:02}", "2028-02-29", f"2029-{month:02}-{day:02}",
        f"2030-{month:02}-{day:02}", f"2031-{month:02}-{day:02}",
    ]
    # 09:00 in Moscow (UTC+3) every time.
    assert {r.fired_at.astimezone(UTC).time() for r in rows} == {time(6, 0)}
    assert rows[1].title == "Today is the 28th anniversary of Leap founding"


async def test_deliveries_go_only_to_everything_and_tag_subscribers(
    repo: Repository, make: Make, clock: ManualClock
) -> None:
    herald = make()
    everything = await herald.chat("all", everything=True)
    korea = await herald.chat("korea", tags=["korea"])
    history = await herald.chat("history", tags=["history", "music"])
    await herald.chat("music", tags=["music"])
    await herald.chat("none")
    gone = await herald.chat("gone", everything=True)
    await repo.chats.deactivate("telegram", "gone", "blocked", now=clock.now())
    tagged = await herald.add(
        "Liberation", 8, 15, 1945, zone="Asia/Seoul", tags=["#Korea", "History"]
    )
    untagged = await herald.add("Founding", 8, 15, zone="Asia/Seoul")

    clock.set(SEOUL_NINE)
    assert await (await herald.restart()).tick() == 2

    by_title = {row.anniversary_id: row.id for row in await herald.occurrences()}
    sends = await herald.deliveries()
    assert sorted(c for c, o, _ in sends if o == by_title[tagged.id]) == sorted(
        [everything, korea, history]
    )
    assert [c for c, o, _ in sends if o == by_title[untagged.id]] == [everything]
    assert gone not in {c for c, _, _ in sends}


async def test_scheduled_posts_are_published_once(
    repo: Repository, make: Make, clock: ManualClock
) -> None:
    herald = make()
    subscriber = await herald.chat("1", everything=True)
    created = await repo.announcements.create(
        NewAnnouncement(title="Concert", body="Tonight", tags=(), created_by=OWNER),
        status=Status.DRAFT,
        now=clock.now(), actor=OWNER,
    )
    when = clock.now() + timedelta(hours=3)
    await herald.announcements.schedule(created.announcement.id, when, actor=OWNER)
    first, second = herald.scheduler(), herald.scheduler()

    clock.set(when - SECOND)
    assert await first.tick() == 0
    clock.set(when)
    assert await first.tick() == 1
    assert await second.tick() == 0
    assert await first.tick() == 0

    assert await herald.deliveries() == [(subscriber, None, created.announcement.id)]
    assert herald.wakes.count == 1


async def test_a_broken_anniversary_is_logged_and_the_others_still_fire(
    repo: Repository, make: Make, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    herald = make()
    await herald.chat("1", everything=True)
    broken = await herald.add("Broken", 8, 15, 1945, zone="Asia/Seoul")
    await herald.add("the liberation of Korea", 8, 15, 1945, zone="Asia/Seoul")
    async with repo.sessions.begin() as session:
        await session.execute(
            update(AnniversaryRow)
            .where(AnniversaryRow.id == broken.id)
            .values(timezone="Mars/Base")
        )

    clock.set(SEOUL_NINE)
    scheduler = await herald.restart()
    with caplog.at_level(logging.ERROR, logger="bot.schedule.scheduler"):
        assert await scheduler.tick() == 1
        assert await scheduler.tick() == 0
    assert caplog.text.count(f"anniversary {broken.id} cannot be scheduled") == 1
    assert list((await scheduler.plan()).keys()) == [broken.id + 1]


async def test_each_chat_reads_the_firing_in_its_own_language(
    repo: Repository, make: Make, clock: ManualClock
) -> None:
    herald = make()
    chats = {
        language: await herald.chat(f"reader-{language}", everything=True)
        for language in ("en", "ru", "ko")
    }
    for language in ("ru", "ko"):
        await repo.chats.set_language(chats[language], language)
    silent = await herald.chat("no-language", everything=True)
    await herald.add("Liberation", 8, 15, 1945, zone="Asia/Seoul")
    clock.set(SEOUL_NINE)
    assert await (await herald.restart()).tick() == 1

    async with repo.sessions() as session:
        ids = (await session.scalars(select(DeliveryRow.id))).all()
        claimed = await outbox.load(session, list(ids))
    shown = claimed[0].content
    assert shown is not None
    assert all(row.content is shown for row in claimed)  # one content, many languages
    titles = {row.chat_id: render(row, shown, "en").title for row in claimed}
    assert titles[chats["en"]] == "Today is the 81st anniversary of Liberation"
    assert titles[chats["ru"]].startswith("Сегодня 81-я годовщина")
    assert titles[chats["ko"]] == "오늘은 Liberation 81주년입니다"
    # A chat that never chose reads the society's language (what HERALD_LANGUAGE names).
    unset = next(row for row in claimed if row.chat_id == silent)
    assert render(unset, shown, "ko").title == "오늘은 Liberation 81주년입니다"
