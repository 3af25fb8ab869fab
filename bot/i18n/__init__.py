"""Translations: gettext catalogs (.po) for Russian and Korean; English is the source text."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

LANGUAGES = ("en", "ru", "ko")
LANGUAGE_NAMES = {"en": "English", "ru": "Русский", "ko": "한국어"}
LOCALES = Path(__file__).resolve().parent / "locales"


@cache
def catalog(language: str) -> dict[str, str]:
    """msgid → translation for one language (empty for English or an unknown language)."""
    path = LOCALES / language / "LC_MESSAGES" / "herald.po"
    if language == "en" or not path.exists():
        return {}
    with path.open("rb") as handle:
        po = read_po(handle, locale=language)
    return {
        str(message.id): str(message.string)
        for message in po
        if message.id and isinstance(message.string, str) and message.string and not message.fuzzy
    }


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


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message
