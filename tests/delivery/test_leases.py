"""Lease owners: rows of a dead owner are taken over at once (sent after the platforms'
one-second window has passed, so the dead owner's last sends draw no 429), live ones are left alone,
leases of rows being sent are renewed, a stop hands back what was not sent."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import DeliveryConfig, DeliveryEngine
from bot.delivery.identity import host_name, start_token, this_process
from bot.ports import ManualClock
from storage import outbox
from storage.outbox import DELIVERIES, OwnerIdentity, SqlOutbox
from storage.outbox.tables import OWNERS
from tests.delivery.support import RecordingPlatform, add_chats, publish

CHATS = [str(i) for i in range(1, 41)]


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


async def lease_all(
    sessions: async_sessionmaker[AsyncSession], clock: ManualClock, owner: OwnerIdentity
) -> int:
    """Register `owner` and let it claim every row, as a process would just before dying."""
    async with sessions.begin() as session:
        await outbox.register(session, owner, clock.now())
        rows = await outbox.claim(
            session, platforms=["telegram"], owner=owner.id, now=clock.now(),
            lease_seconds=20, limit=1000,
        )
    return len(rows)


async def leased(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        query = select(func.count()).where(
            DELIVERIES.c.state == "pending", DELIVERIES.c.lease_owner.is_not(None)
        )
        return int((await session.execute(query)).scalar_one())


def identity(pid: int, started: str, host: str | None = None) -> OwnerIdentity:
    host = host or host_name()
    return OwnerIdentity(id=f"{host}:{pid}:dead0001", host=host, pid=pid, started=started)


async def test_rows_of_an_owner_whose_pid_is_gone_go_out_a_second_later(
    sessions: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    platform: RecordingPlatform,
    config: DeliveryConfig,
) -> None:
    await add_chats(sessions, clock.now(), CHATS)
    await publish(sessions, clock.now())
    pid = dead_pid()
    assert await lease_all(sessions, clock, identity(pid, "x:1")) == len(CHATS)
    # The leases have 20 s to run; only the platforms' one-second window is waited out.
    engine = DeliveryEngine(SqlOutbox(sessions), {"telegram": platform}, clock, config)
    await engine.start()
    try:
        await engine.run_until_idle(timeout=10)
        assert platform.sends == []  # within the dead owner's last second: nothing yet
        clock.advance(0.999)
        await engine.run_until_idle(timeout=10)
        assert platform.sends == []
        clock.advance(0.002)
        await engine.run_until_idle(timeout=10)
    finally:
        await engine.stop()
    assert platform.send_counts() == dict.fromkeys(CHATS, 1)
    async with sessions() as session:
        owners = (await session.execute(select(OWNERS.c.id))).scalars().all()
    assert owners == []  # the dead one forgotten, this one gone at its stop


async def test_a_reused_pid_with_another_start_time_is_dead(
    sessions: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    platform: RecordingPlatform,
    config: DeliveryConfig,
) -> None:
    await add_chats(sessions, clock.now(), CHATS)
    await publish(sessions, clock.now())
    # Our own parent is alive, but it is not the process that took the lease.
    parent = os.getppid()
    await lease_all(sessions, clock, identity(parent, start_token(parent) + "0"))
    engine = DeliveryEngine(SqlOutbox(sessions), {"telegram": platform}, clock, config)
    await engine.start()
    try:
        clock.advance(1.001)  # past the dead owner's last second
        await engine.run_until_idle(timeout=10)
    finally:
        await engine.stop()
    assert platform.send_counts() == dict.fromkeys(CHATS, 1)


async def test_live_owners_and_other_hosts_keep_their_leases(
    sessions: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    platform: RecordingPlatform,
    config: DeliveryConfig,
) -> None:
    await add_chats(sessions, clock.now(), CHATS)
    await publish(sessions, clock.now())
    parent = os.getppid()
    alive = identity(parent, start_token(parent))
    elsewhere = identity(dead_pid(), "x:1", host="another-host")
    half = len(CHATS) // 2
    async with sessions.begin() as session:
        for owner in (alive, elsewhere):
            await outbox.register(session, owner, clock.now())
            await outbox.claim(
                session, platforms=["telegram"], owner=owner.id, now=clock.now(),
                lease_seconds=20, limit=half,
            )
    engine = DeliveryEngine(SqlOutbox(sessions), {"telegram": platform}, clock, config)
    await engine.run_until_idle(timeout=10)
    assert platform.sends == []
    assert await leased(sessions) == len(CHATS)
    # Another host cannot be checked: its rows wait for the lease to lapse, then go.
    clock.advance(21)
    await engine.run_until_idle(timeout=10)
    assert platform.send_counts() == dict.fromkeys(CHATS, 1)


async def test_the_heartbeat_renews_leases_of_rows_still_queued(
    sessions: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    platform: RecordingPlatform,
    config: DeliveryConfig,
) -> None:
    await add_chats(sessions, clock.now(), CHATS)
    await publish(sessions, clock.now())
    platform.gate = asyncio.Event()  # every send waits: the rows stay claimed
    fast = DeliveryConfig(
        rates=config.rates, concurrency=2, poll_interval=0.05, heartbeat_interval=0.05,
        flush_interval=0.01, stop_grace=0.5,
    )
    engine = DeliveryEngine(SqlOutbox(sessions), {"telegram": platform}, clock, fast)
    await engine.start()
    try:
        await asyncio.wait_for(platform.entered.wait(), 5)
        first = clock.now()
        clock.advance(15)
        renewed = first + timedelta(seconds=15 + fast.lease_seconds)

        async def all_renewed() -> None:
            while True:
                async with sessions() as session:
                    leases = (
                        await session.execute(
                            select(DELIVERIES.c.lease_until).where(
                                DELIVERIES.c.lease_owner == engine.owner
                            )
                        )
                    ).scalars().all()
                if leases and all(lease == renewed for lease in leases):
                    return
                await asyncio.sleep(0.02)

        await asyncio.wait_for(all_renewed(), 5)
    finally:
        platform.gate.set()
        await engine.stop()


async def test_rows_finished_elsewhere_are_dropped_unsent(
    sessions: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    platform: RecordingPlatform,
    config: DeliveryConfig,
) -> None:
    await add_chats(sessions, clock.now(), CHATS)
    await publish(sessions, clock.now())
    platform.gate = asyncio.Event()
    fast = DeliveryConfig(
        rates=config.rates, concurrency=1, poll_interval=0.05, heartbeat_interval=0.05,
        flush_interval=0.01, stop_grace=2,
    )
    engine = DeliveryEngine(SqlOutbox(sessions), {"telegram": platform}, clock, fast)
    await engine.start()
    try:
        await asyncio.wait_for(platform.entered.wait(), 5)

        async def all_claimed() -> None:  # one on the wire, seven queued: the high-water mark
            while True:
                if await leased(sessions) >= 8:
                    return
                await asyncio.sleep(0.02)

        await asyncio.wait_for(all_claimed(), 5)
        # Another process finished the queued rows (their chats were found gone, say).
        async with sessions.begin() as session:
            await session.execute(
                update(DELIVERIES)
                .where(DELIVERIES.c.lease_owner == engine.owner)
                .values(state="skipped", lease_owner=None, lease_until=None)
            )
        await asyncio.sleep(0.3)  # a few heartbeats
    finally:
        platform.gate.set()
        await engine.stop()
    # Only the one send already on the wire went out.
    assert len(platform.sends) == 1


async def test_a_stop_hands_back_every_row_not_sent(
    sessions: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    platform: RecordingPlatform,
    config: DeliveryConfig,
) -> None:
    await add_chats(sessions, clock.now(), CHATS)
    await publish(sessions, clock.now())
    platform.latency = 0.05
    slow = DeliveryConfig(rates=config.rates, concurrency=2, poll_interval=0.05, stop_grace=2)
    engine = DeliveryEngine(SqlOutbox(sessions), {"telegram": platform}, clock, slow)
    await engine.start()
    await asyncio.wait_for(platform.entered.wait(), 5)
    await engine.stop()
    sent = len(platform.sends)
    assert 0 < sent < len(CHATS)
    assert await leased(sessions) == 0
    # A new process starts at once: nothing waits for a lease.
    after = DeliveryEngine(SqlOutbox(sessions), {"telegram": platform}, clock, config)
    await after.run_until_idle(timeout=10)
    assert platform.send_counts() == dict.fromkeys(CHATS, 1)


def test_this_process_is_not_dead_to_itself() -> None:
    me = this_process()
    twin = this_process()  # another engine in the same process
    assert twin.id != me.id
    assert not outbox.provably_dead(twin, me)
    assert outbox.provably_dead(identity(dead_pid(), ""), me)


async def test_a_running_worker_takes_over_at_its_next_heartbeat(
    sessions: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    platform: RecordingPlatform,
    config: DeliveryConfig,
) -> None:
    # It looks for new rows only every 30 s: within the 5 s below only the heartbeat acts.
    beating = DeliveryConfig(
        rates=config.rates, poll_interval=30, heartbeat_interval=0.05, flush_interval=0.01,
        stop_grace=1,
    )
    engine = DeliveryEngine(SqlOutbox(sessions), {"telegram": platform}, clock, beating)
    await engine.start()
    try:
        # Its first look (on an empty outbox) is over: the next is 30 s away.
        await engine.run_until_idle()
        # Another process on this host claims the broadcast and dies while this one runs.
        await add_chats(sessions, clock.now(), CHATS)
        await publish(sessions, clock.now())
        await lease_all(sessions, clock, identity(dead_pid(), "x:1"))

        async def delivered() -> None:
            while True:
                if len(platform.sends) >= len(CHATS):
                    return
                await asyncio.sleep(0.02)

        await asyncio.sleep(0.3)
        assert platform.sends == []  # they wait out the dead owner's last second
        clock.advance(1.001)
        await asyncio.wait_for(delivered(), 5)  # the engine looks again by itself
    finally:
        await engine.stop()
    assert platform.send_counts() == dict.fromkeys(CHATS, 1)
