"""Results: what happened to claimed rows, written in batches; chat changes."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.ports.outbox import Outcome, OutcomeKind
from storage.outbox.driver import sqlite_driver, stored_time
from storage.outbox.tables import ANNOUNCEMENTS, CHATS, COPIES, DELIVERIES
from storage.outbox.tables import rowcount as _rowcount
from storage.types import UTCDateTime

SENT = OutcomeKind.SENT
RETRY = OutcomeKind.RETRY
DEAD = OutcomeKind.DEAD
SKIPPED = OutcomeKind.SKIPPED
CHAT_GONE = OutcomeKind.CHAT_GONE
CHAT_MOVED = OutcomeKind.CHAT_MOVED


async def record(session: AsyncSession, outcomes: Sequence[Outcome], now: datetime) -> None:
    """Write the results of a batch of deliveries (sent, retry, dead, skipped, chat changes)."""
    d = DELIVERIES.c
    by_kind: dict[OutcomeKind, list[Outcome]] = {}
    for outcome in outcomes:
        by_kind.setdefault(outcome.kind, []).append(outcome)
    done = {"lease_until": None, "lease_owner": None, "updated_at": now}
    if sent := by_kind.get(SENT):
        sends = [o for o in sent if o.action == "send"]
        # A broadcast's results are plain sends: two statements for the whole batch.
        await _record_sends(session, [o for o in sends if o.announcement_id is not None], now)
        sent = [o for o in sent if o.action != "send" or o.announcement_id is None]
        await _update_copies(session, sent, now)
        # Rows whose ids now sit in message_copies take them from there in one statement.
        copied: list[Outcome] = []
        others: list[Outcome] = []
        for o in sent:
            with_copy = o.action in ("send", "edit") or o.notice
            (copied if o.announcement_id is not None and with_copy else others).append(o)
        if copied:
            m = COPIES.c
            from_copy = (
                select(m.message_ids)
                .where(m.announcement_id == d.announcement_id, m.chat_id == d.chat_id)
                .scalar_subquery()
            )
            await session.execute(
                update(DELIVERIES)
                .where(d.id.in_([o.delivery_id for o in copied]))
                .values(state="sent", message_ids=from_copy, error=None, **done)
            )
        if others:
            await session.execute(
                update(DELIVERIES)
                .where(d.id == bindparam("b_id"))
                .values(state="sent", message_ids=bindparam("b_ids"), error=None, **done),
                [{"b_id": o.delivery_id, "b_ids": json.dumps(list(o.message_ids))} for o in others],
            )
        await _reconcile(session, sends, now)
    if retry := by_kind.get(RETRY):
        await session.execute(
            update(DELIVERIES)
            .where(d.id == bindparam("b_id"))
            .values(
                due_at=bindparam("b_due", type_=UTCDateTime()),
                attempts=d.attempts - bindparam("b_back"),
                error=bindparam("b_error"),
                **done,
            ),
            [
                {
                    "b_id": o.delivery_id,
                    "b_due": o.due_at or now,
                    "b_back": 0 if o.counts_attempt else 1,
                    "b_error": o.reason,
                }
                for o in retry
            ],
        )
    for kind in (DEAD, SKIPPED):
        if finished := by_kind.get(kind):
            await session.execute(
                update(DELIVERIES)
                .where(d.id == bindparam("b_id"))
                .values(state=kind.value, error=bindparam("b_error"), **done),
                [{"b_id": o.delivery_id, "b_error": o.reason} for o in finished],
            )
    for outcome in by_kind.get(CHAT_GONE, []):
        await deactivate_chat(
            session, chat_id=outcome.chat_id, reason=outcome.reason or "gone", now=now
        )
    for outcome in by_kind.get(CHAT_MOVED, []):
        assert outcome.new_external_id is not None
        await move_chat(
            session,
            chat_id=outcome.chat_id,
            new_external_id=outcome.new_external_id,
            delivery_id=outcome.delivery_id,
            now=now,
        )


async def _update_copies(session: AsyncSession, sent: Sequence[Outcome], now: datetime) -> None:
    m = COPIES.c
    mine = [o for o in sent if o.announcement_id is not None]
    upserts = [o for o in mine if o.action == "send"]
    edits = [o for o in mine if o.action == "edit" or (o.action == "delete" and o.notice)]
    removed = [o for o in mine if o.action == "delete" and not o.notice]
    if upserts:
        values = [
            {
                "announcement_id": o.announcement_id,
                "chat_id": o.chat_id,
                "message_ids": json.dumps(list(o.message_ids)),
                "sent_at": now,
                "updated_at": now,
            }
            for o in upserts
        ]
        statement = (
            postgresql_insert(COPIES)
            if session.get_bind().dialect.name == "postgresql"
            else sqlite_insert(COPIES)
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["announcement_id", "chat_id"],
                set_={
                    "message_ids": statement.excluded.message_ids,
                    "sent_at": statement.excluded.sent_at,
                    "updated_at": statement.excluded.updated_at,
                },
            ),
            values,
        )
    if edits:
        await session.execute(
            update(COPIES)
            .where(m.announcement_id == bindparam("b_aid"), m.chat_id == bindparam("b_chat"))
            .values(message_ids=bindparam("b_ids"), updated_at=now),
            [
                {
                    "b_aid": o.announcement_id,
                    "b_chat": o.chat_id,
                    "b_ids": json.dumps(list(o.message_ids)),
                }
                for o in edits
            ],
        )
    if removed:
        await session.execute(
            COPIES.delete().where(
                m.announcement_id == bindparam("b_aid"), m.chat_id == bindparam("b_chat")
            ),
            [{"b_aid": o.announcement_id, "b_chat": o.chat_id} for o in removed],
        )


_SQLITE_COPIES = (
    "INSERT INTO message_copies (announcement_id, chat_id, message_ids, sent_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (announcement_id, chat_id) DO UPDATE SET "
    "message_ids = excluded.message_ids, sent_at = excluded.sent_at, "
    "updated_at = excluded.updated_at"
)
_SQLITE_SENT = (
    "UPDATE deliveries SET state = 'sent', message_ids = ?, error = NULL, lease_until = NULL, "
    "lease_owner = NULL, updated_at = ? WHERE id = ?"
)


# PostgreSQL: the whole batch as one JSON document, so a batch is one statement each, not one
# per row (psycopg's executemany converts the query again for every row), and one text
# parameter, not arrays that psycopg dumps element by element in Python.
_POSTGRES_COPIES = text(
    "INSERT INTO message_copies (announcement_id, chat_id, message_ids, sent_at, updated_at) "
    "SELECT u.a, u.c, CAST(u.m AS TEXT), :sent, :updated "
    "FROM json_to_recordset(CAST(:rows AS JSON)) AS u(d BIGINT, a BIGINT, c BIGINT, m JSON) "
    "ON CONFLICT (announcement_id, chat_id) DO UPDATE SET message_ids = excluded.message_ids, "
    "sent_at = excluded.sent_at, updated_at = excluded.updated_at"
).bindparams(bindparam("sent", type_=UTCDateTime()), bindparam("updated", type_=UTCDateTime()))
_POSTGRES_SENT = text(
    "UPDATE deliveries SET state = 'sent', message_ids = CAST(u.m AS TEXT), error = NULL, "
    "lease_until = NULL, lease_owner = NULL, updated_at = :now "
    "FROM json_to_recordset(CAST(:rows AS JSON)) AS u(d BIGINT, a BIGINT, c BIGINT, m JSON) "
    "WHERE deliveries.id = u.d"
).bindparams(bindparam("now", type_=UTCDateTime()))


async def _record_sends(session: AsyncSession, sends: Sequence[Outcome], now: datetime) -> None:
    """The copies and the rows of a batch of sends, one statement (or driver call) each."""
    if not sends:
        return
    driver = await sqlite_driver(session)
    if driver is None:
        # The ids stay JSON arrays inside the document; PostgreSQL's json type keeps their
        # text as written, which is what json.dumps of each list would give.
        rows = json.dumps(
            [
                {"d": o.delivery_id, "a": o.announcement_id, "c": o.chat_id, "m": o.message_ids}
                for o in sends
            ]
        )
        await session.execute(_POSTGRES_COPIES, {"rows": rows, "sent": now, "updated": now})
        await session.execute(_POSTGRES_SENT, {"rows": rows, "now": now})
        return
    ids = [json.dumps(list(o.message_ids)) for o in sends]
    stamp = stored_time(session, now)
    await driver.executemany(
        _SQLITE_COPIES,
        [(o.announcement_id, o.chat_id, i, stamp, stamp) for o, i in zip(sends, ids, strict=True)],
    )
    await driver.executemany(
        _SQLITE_SENT, [(i, stamp, o.delivery_id) for o, i in zip(sends, ids, strict=True)]
    )


async def _states(session: AsyncSession, aids: set[int]) -> dict[int, tuple[str, int]]:
    driver = await sqlite_driver(session)
    if driver is not None:
        rows: Iterable[Sequence[Any]] = await driver.execute_fetchall(
            "SELECT id, status, revision FROM announcements WHERE id IN "
            "(SELECT value FROM json_each(?))",
            (json.dumps(sorted(aids)),),
        )
    else:
        a = ANNOUNCEMENTS.c
        rows = (
            await session.execute(select(a.id, a.status, a.revision).where(a.id.in_(sorted(aids))))
        ).all()
    return {int(aid): (status, int(rev)) for aid, status, rev in rows}


async def _reconcile(session: AsyncSession, sends: Sequence[Outcome], now: datetime) -> None:
    """A send that raced an edit or a retraction gets its own edit or delete row."""
    aids = {o.announcement_id for o in sends if o.announcement_id is not None}
    if not aids:
        return
    current = await _states(session, aids)
    follow_ups = []
    for o in sends:
        if o.announcement_id is None or o.announcement_id not in current:
            continue
        status, revision = current[o.announcement_id]
        if status == "retracted":
            action = "delete"
        elif revision > o.revision:
            action = "edit"
        else:
            continue
        follow_ups.append(
            {
                "chat_id": o.chat_id, "announcement_id": o.announcement_id, "action": action,
                "state": "pending", "revision": revision, "attempts": 0, "due_at": now,
                "created_at": now, "updated_at": now,
            }
        )
    if follow_ups:
        await session.execute(DELIVERIES.insert(), follow_ups)


async def deactivate_chat(
    session: AsyncSession, *, chat_id: int, reason: str, now: datetime
) -> int:
    """Mark a chat inactive (settings kept) and skip its pending rows; return rows skipped."""
    await session.execute(
        update(CHATS)
        .where(CHATS.c.id == chat_id)
        .values(active=False, inactive_reason=reason, updated_at=now)
    )
    d = DELIVERIES.c
    result = await session.execute(
        update(DELIVERIES)
        .where(d.chat_id == chat_id, d.state == "pending")
        .values(
            state="skipped", error=f"chat inactive: {reason}",
            lease_until=None, lease_owner=None, updated_at=now,
        )
    )
    return _rowcount(result)


async def move_chat(
    session: AsyncSession,
    *,
    chat_id: int,
    new_external_id: str,
    now: datetime,
    delivery_id: int | None = None,
) -> int:
    """Rewrite a chat's platform id; merge into the chat already holding it; return the live id."""
    d, c = DELIVERIES.c, CHATS.c
    if delivery_id is not None:
        # The row that hit the move is retried at once, without spending an attempt.
        await session.execute(
            update(DELIVERIES)
            .where(d.id == delivery_id)
            .values(
                due_at=now, attempts=d.attempts - 1, lease_until=None, lease_owner=None,
                updated_at=now,
            )
        )
    platform = (await session.execute(select(c.platform).where(c.id == chat_id))).scalar_one()
    other = (
        await session.execute(
            select(c.id).where(
                c.platform == platform, c.external_id == new_external_id, c.id != chat_id
            )
        )
    ).scalar_one_or_none()
    if other is None:
        await session.execute(
            update(CHATS)
            .where(c.id == chat_id)
            .values(external_id=new_external_id, updated_at=now)
        )
        return chat_id
    await _merge_chat(session, old=chat_id, new=int(other), now=now)
    return int(other)


async def _merge_chat(session: AsyncSession, *, old: int, new: int, now: datetime) -> None:
    # One name per use: PostgreSQL infers one type per parameter and may disagree between uses.
    params = {"old": old, "new": new, "new2": new, "new3": new}
    await session.execute(
        text(
            "INSERT INTO subscriptions (chat_id, tag_key, tag_name, created_at) "
            "SELECT c.id, s.tag_key, s.tag_name, s.created_at "
            "FROM subscriptions s JOIN chats c ON c.id = :new "
            "WHERE s.chat_id = :old AND NOT EXISTS (SELECT 1 FROM subscriptions t "
            "WHERE t.chat_id = :new2 AND t.tag_key = s.tag_key)"
        ),
        params,
    )
    await session.execute(
        text(
            "UPDATE message_copies SET chat_id = :new WHERE chat_id = :old AND announcement_id "
            "NOT IN (SELECT announcement_id FROM message_copies WHERE chat_id = :new2)"
        ),
        params,
    )
    # A row the surviving chat already has (same content, same action) would be a duplicate.
    await session.execute(
        text(
            "UPDATE deliveries SET state = 'skipped', error = :why "
            "WHERE chat_id = :old AND state = 'pending' AND EXISTS (SELECT 1 FROM deliveries e "
            "WHERE e.chat_id = :new AND e.action = deliveries.action "
            "AND COALESCE(e.announcement_id, 0) = COALESCE(deliveries.announcement_id, 0) "
            "AND COALESCE(e.occurrence_id, 0) = COALESCE(deliveries.occurrence_id, 0) "
            "AND e.revision >= deliveries.revision)"
        ),
        {**params, "why": f"merged into chat {new}"},
    )
    # Leases stay: a row on the wire to the old id comes back as sent or as moved (and is
    # then retried at once); freeing it here let another claim send it a second time.
    await session.execute(
        update(DELIVERIES)
        .where(DELIVERIES.c.chat_id == old, DELIVERIES.c.state == "pending")
        .values(chat_id=new, updated_at=now)
    )
    await session.execute(
        update(CHATS)
        .where(CHATS.c.id == old)
        .values(active=False, inactive_reason=f"migrated into chat {new}", updated_at=now)
    )
