"""Translations: gettext catalogs (.po) for Russian and Korean; English is the source text."""

from __future__ import annotations

import gettext
from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

LANGUAGES = ("en", "ru", "ko")
LANGUAGE_NAMES = {"en": "English", "ru": "Русский", "ko": "한국어"}
LOCALES = Path(__file__).resolve().parent / "locales"


@cache
def _po(language: str) -> Catalog | None:
    path = LOCALES / language / "LC_MESSAGES" / "herald.po"
    if language == "en" or not path.exists():
        return None
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


@cache
def catalog(language: str) -> dict[str, str]:
    """msgid → translation for one language (empty for English or an unknown language)."""
    po = _po(language)
    if po is None:
        return {}
    return {
        str(message.id): str(message.string)
        for message in po
        if message.id and isinstance(message.string, str) and message.string and not message.fuzzy
    }


@cache
def plural_catalog(language: str) -> dict[str, tuple[str, ...]]:
    """Singular msgid → every plural form of its translation (complete entries only)."""
    po = _po(language)
    if po is None:
        return {}
    return {
        str(message.id[0]): tuple(str(form) for form in message.string)
        for message in po
        if isinstance(message.id, tuple)
        and isinstance(message.string, tuple)
        and len(message.string) == po.num_plurals
        and all(message.string)
        and not message.fuzzy
    }


@cache
def plural_index(language: str) -> Callable[[int], int]:
    """Which plural form a number takes in `language` (the catalog's Plural-Forms rule)."""
    po = _po(language)
    if po is None:
        return lambda n: 0 if n == 1 else 1
    rule: Callable[[int], int] = gettext.c2py(po.plural_expr)
    return rule


def normalize_language(code: str | None) -> str | None:
    """`ru-RU`, `ko_KR`, `EN` → a supported language, or None."""
    if not code:
        return None
    base = code.replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else None


def translate(language: str, message: str, /, **values: object) -> str:
    """The message in `language` (English when missing), with `{name}` values filled in."""
    text = catalog(language).get(message, message) if language != "en" else message
    return text.format(**values) if values else text


def translate_plural(
    language: str, singular: str, plural: str, n: int, /, **values: object
) -> str:
    """`singular` or `plural` in `language` as `n` requires ("1 chat", "5 чатов"), filled in."""
    forms = plural_catalog(language).get(singular) if language != "en" else None
    if forms:
        text = forms[min(plural_index(language)(n), len(forms) - 1)]
    else:
        text = singular if n == 1 else plural
    return text.format(**values)


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message
