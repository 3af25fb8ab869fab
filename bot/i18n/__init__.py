"""Translations: gettext catalogs for Russian and Korean (compiled .mo); English is the source."""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

from babel.messages.mofile import read_mo

LANGUAGES = ("en", "ru", "ko")
LANGUAGE_NAMES = {"en": "English", "ru": "Русский", "ko": "한국어"}
LOCALES = Path(__file__).resolve().parent / "locales"
DOMAIN = "herald"


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalog (`herald.mo`) for `language`; a pass-through for English or unknown."""
    if language not in LANGUAGES[1:]:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALES, languages=[language], fallback=True)


@cache
def catalog(language: str) -> dict[str, str]:
    """msgid → translation shipped for one language (empty for English or an unknown language)."""
    path = LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if language not in LANGUAGES[1:] or not path.exists():
        return {}
    with path.open("rb") as handle:
        compiled = read_mo(handle)
    return {
        str(message.id): message.string
        for message in compiled
        if message.id and isinstance(message.string, str)
    }


def normalize_language(code: str | None) -> str | None:
    """`ru-RU`, `ko_KR`, `EN` → a supported language, or None."""
    if not code:
        return None
    base = code.replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else None


def translate(language: str, message: str, /, **values: object) -> str:
    """The message in `language` (English when missing), with `{name}` values filled in."""
    text = translations(language).gettext(message)
    return text.format(**values) if values else text


def translate_plural(
    language: str, singular: str, plural: str, n: int, /, **values: object
) -> str:
    """`singular` or `plural` in `language` as `n` requires ("1 chat", "5 чатов"), filled in."""
    # ngettext picks the form by the catalog's Plural-Forms rule, or English's without one.
    return translations(language).ngettext(singular, plural, n).format(**values)


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message
