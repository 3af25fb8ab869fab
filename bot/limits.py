"""How large each stored field of an announcement may be, checked alike for every database.

SQLite stores a 300-character category in a VARCHAR(200) column and a views count past
2**31; PostgreSQL refuses both when the row is written, the file's name long forgotten.
`storage/models.py` sizes its columns from these numbers, and `storable_problem` checks a
new announcement against them before anything is written.
"""

from __future__ import annotations

from bot.commands.parsing import MAX_POST_LENGTH, MAX_TITLE_LENGTH
from bot.domain import NewAnnouncement
from bot.tags import MAX_TAG_LENGTH, tag_key

__all__ = [
    "MAX_BODY_LENGTH",
    "MAX_CATEGORY_LENGTH",
    "MAX_CONTENT_KEY_LENGTH",
    "MAX_CREATED_BY_LENGTH",
    "MAX_LANGUAGE_LENGTH",
    "MAX_SOURCE_KEY_LENGTH",
    "MAX_TAG_LENGTH",
    "MAX_TITLE_LENGTH",
    "MAX_VIEWS",
    "Unstorable",
    "storable_problem",
]

MAX_BODY_LENGTH = MAX_POST_LENGTH
MAX_CATEGORY_LENGTH = 200
MAX_LANGUAGE_LENGTH = 8
MAX_CREATED_BY_LENGTH = 100
MAX_SOURCE_KEY_LENGTH = 200
MAX_CONTENT_KEY_LENGTH = 64
# INTEGER on PostgreSQL is 32 bits.
MAX_VIEWS = 2**31 - 1


class Unstorable(ValueError):
    """The announcement cannot be stored as it is; the message says why."""


def storable_problem(new: NewAnnouncement) -> str | None:
    """Why `new` cannot be stored as it is (the first problem found), or None when it can."""
    author = new.created_by or ""
    # An imported author is stored as `import:NAME`: count what the file said.
    prefix = len("import:") if author.startswith("import:") else 0
    texts: dict[str, tuple[str | None, int | None]] = {
        "the title": (new.title, MAX_TITLE_LENGTH),
        "the body": (new.body, MAX_BODY_LENGTH),
        "the signature": (new.signature, None),
        "the category": (new.category, MAX_CATEGORY_LENGTH),
        "the language": (new.language, MAX_LANGUAGE_LENGTH),
        "the author": (author[prefix:], MAX_CREATED_BY_LENGTH - prefix),
        "the source address": (new.source_url, None),
        "the source key": (new.source_key, MAX_SOURCE_KEY_LENGTH),
        "the content key": (new.content_key, MAX_CONTENT_KEY_LENGTH),
    }
    for name, (value, limit) in texts.items():
        if value is None:
            continue
        if "\x00" in value:  # PostgreSQL text cannot hold NUL; SQLite can
            return f"{name} contains a NUL character"
        if limit is not None and len(value) > limit:
            return f"{name} is {len(value):,} characters long; at most {limit:,} can be stored"
    for tag in new.tags:
        if "\x00" in tag:
            return "a tag contains a NUL character"
        if max(len(tag), len(tag_key(tag))) > MAX_TAG_LENGTH:
            return f"the tag {tag[:40]!r}… is longer than {MAX_TAG_LENGTH} characters"
    if not 0 <= new.views <= MAX_VIEWS:
        return f"the views count {new.views:,} is out of range (0 to {MAX_VIEWS:,})"
    return None
