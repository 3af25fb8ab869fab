"""Lease owners: register, heartbeat (renew the leases of rows being sent), take over the
rows of owners that died, and hand rows back at a clean stop."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.identity import OwnerIdentity, provably_dead
from storage.outbox.tables import DELIVERIES, OWNERS, rowcount

# An owner whose heartbeat is this many leases old is forgotten (its leases lapsed long ago).
_FORGET_AFTER_LEASES = 3
# A dead owner may have sent some of its rows in its last instant, unrecorded. The platforms
# count messages in sliding one-second windows (Telegram also allows one per second per private
# chat), so its rows wait out that second: a resend then draws no 429.
TAKEOVER_QUIET = timedelta(seconds=1)
# Renew in chunks: a bound parameter list stays well under every driver's limit.
_CHUNK = 500


async def register(session: AsyncSession, owner: OwnerIdentity, now: datetime) -> None:
    """Record this owner (before its first claim), so others can check whether it lives."""
    await session.execute(delete(OWNERS).where(OWNERS.c.id == owner.id))
    await _insert(session, owner, now)


async def _insert(session: AsyncSession, owner: OwnerIdentity, now: datetime) -> None:
    await session.execute(
        OWNERS.insert().values(
            id=owner.id, host=owner.host, pid=owner.pid, started=owner.started,
            heartbeat_at=now, created_at=now,
        )
    )


async def renew(
    session: AsyncSession,
    owner: OwnerIdentity,
    ids: Collection[int],
    *,
    now: datetime,
    lease_seconds: float,
) -> set[int]:
    """Extend the leases of `ids` this owner still holds; return those ids.

    A row missing from the answer is no longer this owner's to send: it was finished
    elsewhere (its chat was found gone, say) or taken over after a lapsed lease.
    """
    beat = await session.execute(
        update(OWNERS).where(OWNERS.c.id == owner.id).values(heartbeat_at=now)
    )
    if rowcount(beat) == 0:  # forgotten after a long silence (a stalled loop): say so again
        await _insert(session, owner, now)
    d = DELIVERIES.c
    lease = now + timedelta(seconds=lease_seconds)
    held: set[int] = set()
    ordered = sorted(ids)
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        result = await session.execute(
            update(DELIVERIES)
            .where(d.id.in_(chunk), d.lease_owner == owner.id, d.state == "pending")
            .values(lease_until=lease)
            .returning(d.id)
        )
        held.update(int(i) for i in result.scalars())
    return held


async def take_over(session: AsyncSession, here: OwnerIdentity, now: datetime,
                    lease_seconds: float) -> int:
    """Free the rows of owners provably dead (same host), forget long-silent owners.

    Returns how many rows were freed; they are claimable after TAKEOVER_QUIET.
    """
    c = OWNERS.c
    owners = (await session.execute(select(c.id, c.host, c.pid, c.started, c.heartbeat_at))).all()
    dead: list[str] = []
    silent: list[str] = []
    forget_before = now - timedelta(seconds=_FORGET_AFTER_LEASES * lease_seconds)
    for owner_id, host, pid, started, heartbeat_at in owners:
        identity = OwnerIdentity(id=owner_id, host=host, pid=int(pid), started=started)
        if provably_dead(identity, here):
            dead.append(owner_id)
        elif owner_id != here.id and heartbeat_at < forget_before:
            silent.append(owner_id)
    freed = 0
    if dead:
        freed = await _free(session, dead, now, claimable=now + TAKEOVER_QUIET)
    if dead or silent:
        await session.execute(delete(OWNERS).where(c.id.in_(dead + silent)))
    return freed


async def release(session: AsyncSession, owner: str, now: datetime) -> int:
    """Hand back every row this owner still leases and forget the owner (a clean stop)."""
    freed = await _free(session, [owner], now)
    await session.execute(delete(OWNERS).where(OWNERS.c.id == owner))
    return freed


async def _free(session: AsyncSession, owners: list[str], now: datetime,
                claimable: datetime | None = None) -> int:
    # An ownerless lease that runs to `claimable` keeps the rows unclaimed until then.
    d = DELIVERIES.c
    result = await session.execute(
        update(DELIVERIES)
        .where(d.state == "pending", d.lease_owner.in_(owners))
        .values(lease_until=claimable, lease_owner=None, updated_at=now)
    )
    return rowcount(result)
