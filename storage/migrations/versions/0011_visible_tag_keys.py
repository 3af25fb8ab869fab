"""Tag keys without invisible characters: `Kor<U+200B>ea` and `Korea` become one tag.

Herald now drops Unicode default-ignorables and bidi controls before it normalizes a tag, so
a key stored before that with such a character could never be asked for again. Each such tag
is renamed to its clean key, or merged into the tag that already has it (its announcements
move over, counts are recomputed); subscriptions follow, a repeat of one the chat already has
is dropped. The rule is copied here (not imported) so this migration keeps doing what it did.

Revision ID: 0011_visible_tag_keys
Revises: 0010_chat_views
Create Date: 2026-12-05
"""

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_visible_tag_keys"
down_revision: str | Sequence[str] | None = "0010_chat_views"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff"
    "\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]"
)
_SPACE = re.compile(r"\s+")


def _visible(text: str) -> str:
    return _INVISIBLE.sub("", text)


def _key(name: str) -> str:
    text = _visible(unicodedata.normalize("NFKC", _visible(name))).replace("_", " ")
    folded = _SPACE.sub(" ", text.strip().lstrip("#").strip()).casefold()
    folded = _visible(unicodedata.normalize("NFKC", folded)).replace("_", " ")
    return _SPACE.sub(" ", folded).strip()


def _name(name: str) -> str:
    text = _visible(unicodedata.normalize("NFKC", _visible(name))).replace("_", " ")
    return _SPACE.sub(" ", text.strip().lstrip("#")).strip()


def upgrade() -> None:
    """Rename or merge tags, and move subscriptions, whose keys hold invisible characters."""
    conn = op.get_bind()
    tags = conn.execute(sa.text("SELECT id, key, name FROM tags ORDER BY id")).all()
    by_key = {key: tag_id for tag_id, key, _ in tags}
    merged_into: set[int] = set()
    for tag_id, key, name in tags:
        clean = _key(key)
        if clean == key or not clean:
            continue
        target = by_key.get(clean)
        if target is None:
            conn.execute(
                sa.text("UPDATE tags SET key = :key, name = :name WHERE id = :id"),
                {"key": clean, "name": _name(name), "id": tag_id},
            )
            by_key[clean] = tag_id
            continue
        params = {"old": tag_id, "new": target}
        conn.execute(
            sa.text(
                "DELETE FROM announcement_tags WHERE tag_id = :old AND announcement_id IN "
                "(SELECT announcement_id FROM announcement_tags WHERE tag_id = :new)"
            ),
            params,
        )
        conn.execute(
            sa.text("UPDATE announcement_tags SET tag_id = :new WHERE tag_id = :old"), params
        )
        conn.execute(sa.text("DELETE FROM tags WHERE id = :old"), params)
        merged_into.add(target)
    for target in merged_into:
        conn.execute(
            sa.text(
                "UPDATE tags SET published_count = (SELECT count(*) FROM announcement_tags "
                "WHERE tag_id = :id AND published_at IS NOT NULL) WHERE id = :id"
            ),
            {"id": target},
        )
    subscriptions = conn.execute(
        sa.text("SELECT id, chat_id, tag_key, tag_name FROM subscriptions WHERE tag_key <> ''")
    ).all()
    held = {(chat_id, key) for _, chat_id, key, _ in subscriptions}
    for sub_id, chat_id, key, name in subscriptions:
        clean = _key(key)
        if clean == key or not clean:
            continue
        if (chat_id, clean) in held:
            conn.execute(sa.text("DELETE FROM subscriptions WHERE id = :id"), {"id": sub_id})
        else:
            conn.execute(
                sa.text("UPDATE subscriptions SET tag_key = :key, tag_name = :name WHERE id = :id"),
                {"key": clean, "name": _name(name), "id": sub_id},
            )
            held.add((chat_id, clean))


def downgrade() -> None:
    """Nothing to undo: the cleaned keys are valid keys of the older schema too."""
