"""Full-text search behind one interface: FTS5 on SQLite, tsvector + GIN on PostgreSQL."""

from __future__ import annotations

import re

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import SEARCH_TOTAL_CAP

# Letters and digits only: `_` separates words, as it does for both full-text tokenizers.
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
MAX_WORDS = 12
# Counting every match of a common word costs a pass over most of the table (a quarter second
# on PostgreSQL at 100,000 posts), so totals are exact up to this many and capped beyond it:
# a total equal to the cap means "at least this many". The core shows it, so bot.domain owns it.
TOTAL_CAP = SEARCH_TOTAL_CAP

_SQLITE_NEWEST_BY_ID = text(
    # CROSS JOIN keeps FTS5 outermost, so its rowid order serves ORDER BY without a sort.
    "SELECT a.id, a.published_at FROM announcements_fts f CROSS JOIN announcements a "
    "ON a.id = f.rowid WHERE announcements_fts MATCH :q AND a.status = 'published' "
    "ORDER BY f.rowid DESC LIMIT :want"
)
_SQLITE_PUBLISHED_LATE = text(
    "SELECT a.id, a.published_at FROM announcements a WHERE a.status = 'published' "
    "AND a.published_at >= :since AND a.id < :below"
)
_SQLITE_MATCHING = text(
    "SELECT rowid FROM announcements_fts WHERE announcements_fts MATCH :q AND rowid IN :ids"
).bindparams(bindparam("ids", expanding=True))
# One round trip: the newest `cap` matches (an index walk for common words, a GIN bitmap for
# rare ones), their count, and the requested page of them.
_POSTGRES_PAGE = (
    "WITH m AS MATERIALIZED (SELECT a.id, a.published_at FROM announcements a "
    "WHERE a.status = 'published' AND a.search_vector @@ to_tsquery('simple', '{q}') "
    "ORDER BY a.published_at DESC, a.id DESC LIMIT {cap:d}) "
    "SELECT (SELECT count(*) FROM m), "
    "ARRAY(SELECT id FROM m ORDER BY published_at DESC, id DESC LIMIT :limit OFFSET :offset)"
)


def words_of(query: str) -> list[str]:
    """The searchable words of a query; punctuation and operators are dropped."""
    return _WORD.findall(query)[:MAX_WORDS]


def fts5_query(words: list[str]) -> str:
    """An FTS5 MATCH expression: every word must appear, the last one as a prefix."""
    quoted = ['"' + word.replace('"', '""') + '"' for word in words]
    quoted[-1] += "*"
    return " AND ".join(quoted)


def ts_query(words: list[str]) -> str:
    """A PostgreSQL tsquery: every word must appear, the last one as a prefix."""
    # words_of leaves only letters and digits, none of them tsquery syntax.
    terms = [word.lower() for word in words]
    terms[-1] += ":*"
    return " & ".join(terms)


async def search_ids(
    session: AsyncSession, query: str, *, limit: int, offset: int
) -> tuple[list[int], int]:
    """Ids of published announcements matching every word, newest first, and the total.

    The total is exact up to TOTAL_CAP (or the end of the requested page) and capped there.
    """
    words = words_of(query)
    if not words:
        return [], 0
    cap = max(TOTAL_CAP, offset + limit)
    if session.get_bind().dialect.name == "sqlite":
        return await _sqlite(session, fts5_query(words), limit, offset, cap)
    tsquery = ts_query(words)
    # The query goes in as a literal, not a parameter: once psycopg prepares a statement,
    # PostgreSQL may settle on one generic plan for every word, and the plan that suits a rare
    # word (GIN bitmap, then sort) takes 70 ms for a common one. words_of leaves letters and
    # digits only, so the literal cannot be broken out of; the check below keeps it that way.
    if "'" in tsquery or "\\" in tsquery:
        raise ValueError(f"unsafe search terms: {tsquery!r}")
    statement = text(_POSTGRES_PAGE.format(q=tsquery, cap=cap))
    total, ids = (await session.execute(statement, {"limit": limit, "offset": offset})).one()
    return [int(i) for i in ids], int(total)


async def _sqlite(
    session: AsyncSession, match: str, limit: int, offset: int, cap: int
) -> tuple[list[int], int]:
    # FTS5 walks its matches newest id first and stops after `cap`; ordering the whole match
    # set by publication time instead would read every match of a common word.
    rows = [
        (int(aid), str(at))
        for aid, at in await session.execute(_SQLITE_NEWEST_BY_ID, {"q": match, "want": cap + 1})
    ]
    total = min(len(rows), cap)
    wanted = offset + limit
    candidates = rows if len(rows) <= cap else rows[:wanted]
    if len(rows) > cap and candidates:
        # A post published after newer-id posts (a draft, a schedule) can still rank in the page:
        # it is published no earlier than the page's oldest candidate and has a smaller id.
        since, below = min(at for _, at in candidates), candidates[-1][0]
        late = dict(
            (int(i), str(at))
            for i, at in await session.execute(
                _SQLITE_PUBLISHED_LATE, {"since": since, "below": below}
            )
        )
        known = dict(rows)
        unknown = [i for i in late if i not in known]
        if unknown:
            found = await session.scalars(_SQLITE_MATCHING, {"q": match, "ids": unknown})
            known.update({int(i): late[int(i)] for i in found})
        seen = {aid for aid, _ in candidates}
        candidates += [(i, at) for i, at in late.items() if i in known and i not in seen]
    candidates.sort(key=lambda row: (row[1], row[0]), reverse=True)
    return [aid for aid, _ in candidates[offset:wanted]], total
