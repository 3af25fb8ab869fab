"""Edits, retractions, the 48-hour rule, races with in-flight sends, migrations, pacing."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.delivery import DeliveryConfig, DeliveryEngine, delivery_status
from bot.ports import ManualClock, MessageKind, RetryLater
from storage import outbox
from storage.outbox import CHATS, SqlOutbox
from storage.repository import Repository
from tests.delivery.support import (
    RecordingPlatform,
    add_chats,
    copies,
    edit,
    publish,
    retract,
    rows,
)

HOURS = 3600.0


async def until_in_flight(platform: RecordingPlatform) -> None:
    """Wait (bounded) until the platform holds a request."""
    await asyncio.wait_for(platform.entered.wait(), 5)
    platform.entered.clear()


async def fire_founding_day(
    sessions: async_sessionmaker[AsyncSession], clock: ManualClock
) -> tuple[int, int, int]:
    """An anniversary tagged `history` and its firing today: (anniversary, occurrence, rows)."""
    now = clock.now()
    anniversaries = outbox.ANNOUNCEMENTS.metadata.tables["anniversaries"]
    async with sessions.begin() as session:
        anniversary = (
            await session.execute(
                insert(anniversaries).returning(anniversaries.c.id),
                {"title": "Founding", "month": 8, "day": 14, "tags": "history",
                 "created_at": now, "updated_at": now},
            )
        ).scalar_one()
        occurrence = (
            await session.execute(
                insert(outbox.OCCURRENCES).returning(outbox.OCCURRENCES.c.id),
                {"anniversary_id": anniversary, "occurs_on": now.date(), "kind": "day",
                 "fired_at": now, "title": "Founded 100 years ago", "body": "Cake at 5."},
            )
        ).scalar_one()
        enqueued = await outbox.enqueue_occurrence(
            session, occurrence_id=occurrence, tag_keys=["history"], now=now
        )
    return int(anniversary), int(occurrence), enqueued


def engine_for(
    sessions: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    platform: RecordingPlatform,
    config: DeliveryConfig,
) -> DeliveryEngine:
    return DeliveryEngine(SqlOutbox(sessions), {platform.name: platform}, clock, config)


async def test_edit_then_retract_after_broadcast(
    sessions: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    platform: RecordingPlatform,
    config: DeliveryConfig,
) -> None:
    chats = [str(i) for i in range(1, 21)]
    chat_ids = await add_chats(sessions, clock.now(), chats)
    aid, _ = await publish(sessions, clock.now(), title="Meeting")
    engine = engine_for(sessions, clock, platform, config)
    await engine.run_until_idle(timeout=10)
    held = await copies(sessions, aid)
    assert set(held) == set(chat_ids)
    for row in await rows(sessions):
        assert json.loads(str(row["message_ids"])) == held[int(str(row["chat_id"]))]

    clock.advance(60)
    assert await edit(sessions, clock.now(), aid, "Meeting (moved to room 7)") == 20
    await engine.run_until_idle(timeout=10)
    assert all(
        platform.texts(c) == [(MessageKind.ANNOUNCEMENT, "Meeting (moved to room 7)")]
        for c in chats
    )
    assert len(platform.edits) == 20
    assert len(platform.sends) == 20

    clock.advance(60)
    assert await retract(sessions, clock.now(), aid) == 20
    await engine.run_until_idle(timeout=10)
    assert platform.shown == {}
    assert await copies(sessions, aid) == {}
    status = await delivery_status(SqlOutbox(sessions), aid, action="delete")
    assert status.platforms["telegram"].sent == 20


async def test_older_edit_is_superseded_by_newer(
    sessions: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    platform: RecordingPlatform,
    config: DeliveryConfig,
) -> None:
    await add_chats(sessions, clock.now(), ["1", "2"])
    aid, _ = await publish(sessions, clock.now(), title="v1")
    engine = engine_for(sessions, clock, platform, config)
    await engine.run_until_idle(timeout=10)
    await edit(sessions, clock.now(), aid, "v2")
    await edit(sessions, clock.now(), aid, "v3")
    await engine.run_until_idle(timeout=10)
    assert platform.texts("1") == [(MessageKind.ANNOUNCEMENT, "v3")]
    assert len(platform.edits) == 2  # one per chat: the revision-2 rows were skipped
    skipped = [r for r in await rows(sessions) if r["state"] == "skipped"]
    assert {str(r["error"]) for r in skipped} == {"superseded by revision 3"}


async def test_48_hour_rule(
    sessions: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    platform: RecordingPlatform,
    config: DeliveryConfig,
) -> None:
    await add_chats(sessions, clock.now(), ["old1", "old2"])
    aid, _ = await publish(sessions, clock.now(), title="Old news")
    engine = engine_for(sessions, clock, platform, config)
    await engine.run_until_idle(timeout=10)
    clock.advance(30 * HOURS)
    await add_chats(sessions, clock.now(), ["new1"])
    async with sessions.begin() as session:
        await outbox.enqueue_send(
            session, announcement_id=aid, revision=1, tag_keys=(), now=clock.now()
        )
        await session.execute(
            text("DELETE FROM deliveries WHERE state = 'pending' AND chat_id IN "
                 "(SELECT id FROM chats WHERE external_id <> 'new1')")
        )
    await engine.run_until_idle(timeout=10)
    clock.advance(20 * HOURS)  # the first copies are now 50 hours old, the last one 20
    await retract(sessions, clock.now(), aid)
    await engine.run_until_idle(timeout=10)
    assert platform.received("new1") == []
    notice = (MessageKind.RETRACTION, "This announcement was withdrawn.")
    for chat in ("old1", "old2"):
        assert platform.texts(chat) == [notice]
    # Deleting was never even tried for the old copies.
    assert [chat for chat, _ in platform.deletes] == ["new1"]


async def test_platform_refusing_an_old_delete_gets_the_notice(
    sessions: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    platform: RecordingPlatform,
    config: DeliveryConfig,
) -> None:
    platform.refuse_delete_after = 60
    await add_chats(sessions, clock.now(), ["1"])
    aid, _ = await publish(sessions, clock.now())
    texts = {"de": "Diese Mitteilung wurde zurückgezogen."}
    config = DeliveryConfig(
        rates=config.rates, retraction_text=lambda lang: texts.get(lang, "withdrawn")
    )
    async with sessions.begin() as session:
        await session.execute(text("UPDATE chats SET language = 'de'"))
    engine = engine_for(sessions, clock, platform, config)
    await engine.run_until_idle(timeout=10)
    clock.advance(120)
    await retract(sessions, clock.now(), aid)
    await engine.run_until_idle(timeout=10)
    assert platform.texts("1") == [(MessageKind.RETRACTION, texts["de"])]
    assert platform.received("1")[0].message.language == "de"


async def test_send_racing_an_edit_and_a_retraction_is_reconciled(
    sessions: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    platform: RecordingPlatform,
    config: DeliveryConfig,
) -> None:
    await add_chats(sessions, clock.now(), ["1"])
    aid, _ = await publish(sessions, clock.now(), title="draft wording")
    platform.gate = asyncio.Event()
    platform.entered.clear()
    engine = engine_for(sessions, clock, platform, config)
    await engine.start()
    try:
        await until_in_flight(platform)
        # Committed while the send is on the wire: no copy exists yet, so no edit rows.
        assert await edit(sessions, clock.now(), aid, "final wording") == 0
        platform.gate.set()
        await engine.run_until_idle(timeout=10)
        assert platform.texts("1") == [(MessageKind.ANNOUNCEMENT, "final wording")]

        clock.advance(10)  # past the private chat's one-message-per-second spacing
        platform.gate = asyncio.Event()
        platform.entered.clear()
        aid2, _ = await publish(sessions, clock.now(), title="oops")
        engine.wake()
        await until_in_flight(platform)
        assert await retract(sessions, clock.now(), aid2) == 0
        platform.gate.set()
        await engine.run_until_idle(timeout=10)
    finally:
        await engine.stop()
    assert [s.message.title for s in platform.received("1")] == ["final wording"]
    assert await copies(sessions, aid2) == {}


async def test_migrated_chat_is_rewritten_or_merged(
    sessions: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    platform: RecordingPlatform,
    config: DeliveryConfig,
) -> None:
    old, other = await add_chats(sessions, clock.now(), ["-5", "-7"], kind="group")
    existing = (await add_chats(sessions, clock.now(), ["-1007"], kind="channel", tags=("x",)))[0]
    platform.moved["-5"] = "-1005"
    platform.moved["-7"] = "-1007"  # another row already holds the new id: merge into it
    _, count = await publish(sessions, clock.now(), tag_keys=["x"])
    assert count == 3
    engine = engine_for(sessions, clock, platform, config)
    await engine.run_until_idle(timeout=10)
    assert platform.send_counts() == {"-1005": 1, "-1007": 1}
    async with sessions() as session:
        chats = {
            r.id: r for r in await session.execute(select(CHATS).order_by(CHATS.c.id))
        }
        subs = set(
            await session.execute(text("SELECT chat_id, tag_key FROM subscriptions"))
        )
    assert chats[old].external_id == "-1005"
    assert chats[old].active
    assert not chats[other].active
    assert chats[other].inactive_reason == f"migrated into chat {existing}"
    assert (existing, "") in subs
    assert (existing, "x") in subs
    states = {(r["chat_id"], r["state"]) for r in await rows(sessions)}
    assert (other, "skipped") in states
    assert (existing, "sent") in states


async def test_group_pacing_defers_the_second_message(
    sessions: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    platform: RecordingPlatform,
    config: DeliveryConfig,
) -> None:
    await add_chats(sessions, clock.now(), ["-42"], kind="group")
    await publish(sessions, clock.now(), title="first")
    await publish(sessions, clock.now(), title="second")
    engine = engine_for(sessions, clock, platform, config)
    await engine.run_until_idle(timeout=10)
    assert [s.message.title for s in platform.received("-42")] == ["first"]
    pending = [r for r in await rows(sessions) if r["state"] == "pending"]
    assert len(pending) == 1
    assert pending[0]["due_at"] == clock.now() + timedelta(seconds=3)
    assert pending[0]["attempts"] == 0
    clock.advance(3)
    await engine.run_until_idle(timeout=10)
    assert [s.message.title for s in platform.received("-42")] == ["first", "second"]


async def test_per_chat_429_holds_that_chat_only(
    sessions: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    platform: RecordingPlatform,
    config: DeliveryConfig,
) -> None:
    await add_chats(sessions, clock.now(), ["1", "2", "3"])
    platform.script("2", RetryLater(7))
    await publish(sessions, clock.now())
    engine = engine_for(sessions, clock, platform, config)
    await engine.run_until_idle(timeout=10)
    assert set(platform.send_counts()) == {"1", "3"}
    clock.advance(7)
    await engine.run_until_idle(timeout=10)
    assert platform.send_counts() == {"1": 1, "2": 1, "3": 1}


async def test_anniversary_occurrence_goes_out(
    sessions: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    platform: RecordingPlatform,
    config: DeliveryConfig,
) -> None:
    await add_chats(sessions, clock.now(), ["1"], tags=("history",))
    await add_chats(sessions, clock.now(), ["2"], tags=("sport",))
    assert (await fire_founding_day(sessions, clock))[2] == 1
    engine = engine_for(sessions, clock, platform, config)
    await engine.run_until_idle(timeout=10)
    assert platform.texts("1") == [(MessageKind.ANNIVERSARY, "Founded 100 years ago")]
    assert platform.received("2") == []


async def test_rows_of_a_deleted_anniversary_are_skipped(
    sessions: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    platform: RecordingPlatform,
    config: DeliveryConfig,
) -> None:
    # deliveries has no foreign key on its content (enqueue speed): nothing cascades to it.
    await add_chats(sessions, clock.now(), ["1", "2"], tags=("history",))
    anniversaries = outbox.ANNOUNCEMENTS.metadata.tables["anniversaries"]
    anniversary, occurrence, enqueued = await fire_founding_day(sessions, clock)
    assert enqueued == 2
    async with sessions.begin() as session:
        await session.execute(
            anniversaries.delete().where(anniversaries.c.id == anniversary)
        )
        left = await session.execute(
            select(outbox.OCCURRENCES.c.id).where(outbox.OCCURRENCES.c.id == occurrence)
        )
        assert left.first() is None  # the occurrence went with its anniversary
    engine = engine_for(sessions, clock, platform, config)
    await engine.run_until_idle(timeout=10)
    assert platform.calls == 0
    table = await rows(sessions)
    assert [(r["occurrence_id"], r["state"], r["error"]) for r in table] == [
        (occurrence, "skipped", "content gone")
    ] * 2


async def test_merge_from_the_command_path_keeps_an_in_flight_lease(
    sessions: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    platform: RecordingPlatform,
    config: DeliveryConfig,
    engine: AsyncEngine,
) -> None:
    # Telegram tells the bot of a group upgrade while a send to the old id is on the wire.
    await add_chats(sessions, clock.now(), ["-5"], kind="group", tags=("x",))
    (channel,) = await add_chats(sessions, clock.now(), ["-1005"], kind="channel", tags=("y",))
    _, count = await publish(sessions, clock.now(), tag_keys=["x"])
    assert count == 1
    platform.gate = asyncio.Event()
    platform.entered.clear()
    # The send waits at the gate while the test works: no send timeout may cut it short.
    herald = engine_for(sessions, clock, platform, replace(config, send_timeout=30))
    await herald.start()
    try:
        await until_in_flight(platform)
        repo = Repository.for_engine(engine)
        assert await repo.chats.migrate("telegram", "-5", "-1005", now=clock.now())
        async with sessions.begin() as session:
            stolen = await outbox.claim(
                session, platforms=["telegram"], owner="another worker", now=clock.now(),
                lease_seconds=60, limit=10,
            )
        assert stolen == []  # the row moved chats but is still leased to the sender
        platform.moved["-5"] = "-1005"
        platform.gate.set()
        await herald.run_until_idle(timeout=10)
    finally:
        await herald.stop()
    assert platform.send_counts() == {"-1005": 1}
    assert [(r["chat_id"], r["state"]) for r in await rows(sessions)] == [(channel, "sent")]
