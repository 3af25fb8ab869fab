"""Tag normalization: one key for every spelling of a tag."""

from __future__ import annotations

import re
import unicodedata

_SPACE = re.compile(r"\s+")
_HASHTAG = re.compile(r"(?<![\w#&])#(\w[\w-]*)")
MAX_TAG_LENGTH = 64


def tag_key(name: str) -> str:
    """Normalize a tag: NFKC, casefold, `_` as space, whitespace collapsed, leading `#` dropped."""
    text = unicodedata.normalize("NFKC", name).replace("_", " ")
    text = text.strip().lstrip("#").strip()
    return _SPACE.sub(" ", text).casefold().strip()


def display_name(name: str) -> str:
    """The name to show for a tag: `_` as space, whitespace collapsed, `#` dropped, case kept."""
    text = unicodedata.normalize("NFKC", name).replace("_", " ").strip().lstrip("#")
    return _SPACE.sub(" ", text).strip()


def split_tag_list(text: str) -> list[str]:
    """Split `a, b; c` into tag names, dropping empties and duplicates by key."""
    seen: set[str] = set()
    names: list[str] = []
    for part in re.split(r"[,;]", text):
        name = display_name(part)
        key = tag_key(name)
        if key and key not in seen and len(key) <= MAX_TAG_LENGTH:
            seen.add(key)
            names.append(name)
    return names


def hashtags(text: str) -> list[str]:
    """The hashtags in `text` (`#Friends_of_Korea` → `Friends of Korea`), deduplicated by key."""
    seen: set[str] = set()
    names: list[str] = []
    for match in _HASHTAG.finditer(text):
        name = display_name(match.group(1))
        key = tag_key(name)
        if key and key not in seen and len(key) <= MAX_TAG_LENGTH:
            seen.add(key)
            names.append(name)
    return names
