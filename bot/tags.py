"""Tags: one key for every spelling, the limits a tag list must keep, and the one hashtag rule.

A tag reaches Herald typed by a person (`/subscribe`, a post's `Tags:` line, a form), so it may
carry characters nobody sees: zero-width spaces, soft hyphens, variation selectors, bidi
controls. Those are dropped before anything else, or `Kor\u200bea` would be a second tag that
looks exactly like `Korea` and reaches no subscriber.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

_SPACE = re.compile(r"\s+")
_HASHTAG = re.compile(r"(?<![\w#&])#(\w[\w-]*)")
# The DB columns for tag keys and names are 64 characters wide: no setting may go past this.
MAX_TAG_LENGTH = 64
# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt), which includes every
# bidi control (U+061C, U+200E/F, U+202A-E, U+2066-9); Python's unicodedata has no such query.
_IGNORABLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff"
)
# Also dropped: controls that are not whitespace, and lone surrogates (no encoding holds them).
_INVISIBLE = re.compile(
    f"[{_IGNORABLE}\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\ud800-\udfff]"
)


def visible(text: str) -> str:
    """`text` without default-ignorable characters, bidi controls and stray control characters."""
    return _INVISIBLE.sub("", text)


def tag_key(name: str) -> str:
    """Normalize a tag: invisibles dropped, NFKC, casefold, `_` as space, `#` dropped."""
    text = visible(unicodedata.normalize("NFKC", visible(name))).replace("_", " ")
    text = text.strip().lstrip("#").strip()
    folded = _SPACE.sub(" ", text).casefold()
    # Case folding can leave a string NFKC would change again: normalize once more.
    folded = visible(unicodedata.normalize("NFKC", folded)).replace("_", " ")
    return _SPACE.sub(" ", folded).strip()


def display_name(name: str) -> str:
    """The name to show for a tag: invisibles dropped, `_` as space, `#` dropped, case kept."""
    text = visible(unicodedata.normalize("NFKC", visible(name))).replace("_", " ")
    return _SPACE.sub(" ", text.strip().lstrip("#")).strip()


def _is_hashtag_char(char: str) -> bool:
    # Telegram links a hashtag over letters, decimal digits and `_` (TDLib's is_hashtag_letter);
    # anything else ends it, so `#DPRK-Russia` would link `#DPRK`. Marks stay: they are part
    # of the letters they sit on (Devanagari vowel signs), and cutting them garbles the word.
    category = unicodedata.category(char)
    return char == "_" or category[0] in "LM" or category == "Nd"


def _is_word_char(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] == "L" or category == "Nd"


def hashtag(name: str) -> str:
    """A tag as one hashtag: `DPRK-Russia relations` → `#DPRK_Russia_relations`.

    Telegram links letters, decimal digits and `_` only, so every other run of characters
    becomes one `_`; Discord and the console show the same text. Empty when nothing is left.
    """
    out: list[str] = []
    for char in display_name(name):
        if _is_hashtag_char(char):
            out.append(char)
        elif out and out[-1] != "_":
            out.append("_")
    word = "".join(out).strip("_")
    return f"#{word}" if word else ""


def tag_token(name: str) -> str:
    """A tag as a command argument (`DPRK-Russia relations` → `#DPRK-Russia_relations`).

    Unlike hashtag(), this keeps every character, so the command reads back the same tag.
    """
    return "#" + "_".join(display_name(name).split())


@dataclass(frozen=True, slots=True)
class TagLimits:
    """How many tags one request may carry, and how long one tag may be (named settings)."""

    per_post: int = 20
    per_subscribe: int = 50
    per_chat: int = 200
    length: int = MAX_TAG_LENGTH


DEFAULT_TAG_LIMITS = TagLimits()


class TagError(ValueError):
    """A tag, or a list of tags, that cannot be used.

    `reason`: `too_long` or `unusable` (with `name`, the tag as typed), `too_many` (with `count`
    and `limit`).
    """

    def __init__(self, reason: str, name: str = "", *, count: int = 0, limit: int = 0) -> None:
        super().__init__(f"{reason}: {name[:40]!r}" if name else reason)
        self.reason = reason
        self.name = name
        self.count = count
        self.limit = limit

    def shown_name(self, width: int = 40) -> str:
        """The tag as typed, short, with its invisible characters spelled out (`<U+200B>`)."""
        text = self.name.strip()
        cut = text[:width] + ("…" if len(text) > width else "")
        return "".join(
            f"<U+{ord(c):04X}>" if _INVISIBLE.fullmatch(c) or (c.isspace() and c != " ") else c
            for c in cut
        )


def checked_tag(raw: str, limits: TagLimits = DEFAULT_TAG_LIMITS) -> tuple[str, str]:
    """(display name, key) of a tag as typed; TagError when it is too long or has no letters."""
    name, key = display_name(raw), tag_key(raw)
    if max(len(name), len(key)) > min(limits.length, MAX_TAG_LENGTH):
        raise TagError("too_long", raw, limit=min(limits.length, MAX_TAG_LENGTH))
    # A letter or a decimal digit, so the tag has a hashtag (`½` or `…` alone would not).
    if not key or not any(_is_word_char(c) for c in name):
        raise TagError("unusable", raw)
    return name, key


def read_tags(
    raws: Iterable[str], limits: TagLimits = DEFAULT_TAG_LIMITS, *, cap: int | None = None
) -> list[str]:
    """Display names of the tags as typed, each checked, repeats dropped by key.

    Blank pieces (`a, , b`) are punctuation, not tags; anything else that is not a usable
    tag is refused by name, never dropped. More than `cap` tags: TagError `too_many`.
    """
    seen: set[str] = set()
    names: list[str] = []
    for raw in raws:
        if not raw.strip():
            continue
        name, key = checked_tag(raw, limits)
        if key not in seen:
            seen.add(key)
            names.append(name)
    if cap is not None and len(names) > cap:
        raise TagError("too_many", count=len(names), limit=cap)
    return names


def parse_tag_list(
    text: str, limits: TagLimits = DEFAULT_TAG_LIMITS, *, cap: int | None = None
) -> list[str]:
    """`a, b; c` → checked tag names (see read_tags); TagError names what cannot be a tag."""
    return read_tags(re.split(r"[,;]", text), limits, cap=cap)


def split_tag_list(text: str) -> list[str]:
    """`a, b; c` → tag names, dropping what cannot be a tag (importers; chat: parse_tag_list)."""
    seen: set[str] = set()
    names: list[str] = []
    for part in re.split(r"[,;]", text):
        try:
            name, key = checked_tag(part)
        except TagError:
            continue
        if key not in seen:
            seen.add(key)
            names.append(name)
    return names


def capped_tags(
    raws: Iterable[str], limits: TagLimits = DEFAULT_TAG_LIMITS
) -> tuple[list[str], list[str]]:
    """(kept, left out): tags that came with a post nobody typed here (a feed entry, an
    imported file), held to the rules chat posts meet.

    What cannot be a tag (too long, no letter) is left out, repeats by key are dropped
    silently, and past `limits.per_post` the first ones are kept and the rest left out.
    """
    seen: set[str] = set()
    kept: list[str] = []
    left_out: list[str] = []
    for raw in raws:
        if not raw.strip():
            continue
        try:
            name, key = checked_tag(raw, limits)
        except TagError:
            left_out.append(raw.strip())
            continue
        if key in seen:
            continue
        seen.add(key)
        if len(kept) < limits.per_post:
            kept.append(name)
        else:
            left_out.append(name)
    return kept, left_out


def hashtag_words(text: str) -> list[str]:
    """The hashtags in `text` as typed, without their `#` (`#Friends_of_Korea`)."""
    return [match.group(1) for match in _HASHTAG.finditer(visible(text))]


def hashtags(text: str) -> list[str]:
    """The usable hashtags in `text` (`#Friends_of_Korea` → `Friends of Korea`), deduplicated."""
    seen: set[str] = set()
    names: list[str] = []
    for word in hashtag_words(text):
        try:
            name, key = checked_tag(word)
        except TagError:
            continue
        if key not in seen:
            seen.add(key)
            names.append(name)
    return names


def without_hashtags(text: str) -> str:
    """`text` with its hashtags taken out (the title of `/anniversary add ... #tags`)."""
    return _HASHTAG.sub("", visible(text))
