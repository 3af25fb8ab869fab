"""Full-text search behind one interface: FTS5 on SQLite, tsvector + GIN on PostgreSQL."""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 12


def words_of(query: str) -> list[str]:
    """The searchable words of a query; punctuation and operators are dropped."""
    return _WORD.findall(query)[:MAX_WORDS]


def fts5_query(words: list[str]) -> str:
    """An FTS5 MATCH expression: every word must appear, the last one as a prefix."""
    quoted = ['"' + word.replace('"', '""') + '"' for word in words]
    quoted[-1] += "*"
    return " AND ".join(quoted)


async def search_ids(
    session: AsyncSession, query: str, *, limit: int, offset: int
) -> tuple[list[int], int]:
    """Ids of published announcements matching every word, newest first, and the total."""
    words = words_of(query)
    if not words:
        return [], 0
    if session.get_bind().dialect.name == "sqlite":
        where = (
            "a.status = 'published' AND a.id IN "
            "(SELECT rowid FROM announcements_fts WHERE announcements_fts MATCH :q)"
        )
        params: dict[str, object] = {"q": fts5_query(words)}
    else:
        # Each word becomes a prefix term; to_tsquery gets only \w characters from words_of.
        where = "a.status = 'published' AND a.search_vector @@ to_tsquery('simple', :q)"
        params = {"q": " & ".join(f"{word.lower()}:*" for word in words)}
    count_sql = f"SELECT count(*) FROM announcements a WHERE {where}"  # noqa: S608 - constant
    total = await session.scalar(text(count_sql), params)
    rows = await session.execute(
        text(
            f"SELECT a.id FROM announcements a WHERE {where} "  # noqa: S608 - constant clause
            "ORDER BY a.published_at DESC, a.id DESC LIMIT :limit OFFSET :offset"
        ),
        {**params, "limit": limit, "offset": offset},
    )
    return [int(row[0]) for row in rows], int(total or 0)
