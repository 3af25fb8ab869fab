"""Ordinal numbers for anniversary messages, and which anniversaries are jubilees."""

from __future__ import annotations


def _language(language: str) -> str:
    return language.replace("_", "-").split("-")[0].strip().casefold()


def ordinal(n: int, language: str) -> str:
    """The ordinal of `n` for an anniversary: "81st", "81-я", "81주년"; English when unknown.

    Russian agrees with the feminine "годовщина" ("81-я годовщина"). Korean returns the
    whole counter ("81주년"): the sentence uses it as is ("오늘은 ... 81주년입니다").
    """
    match _language(language):
        case "ru":
            return f"{n}-я"
        case "ko":
            return f"{n}주년"
        case _:
            return f"{n}{_english_suffix(n)}"


def _english_suffix(n: int) -> str:
    last_two = abs(n) % 100
    if 11 <= last_two <= 13:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(last_two % 10, "th")


def is_jubilee(n: int) -> bool:
    """Whether the `n`th anniversary is a round one: every 5th, so 10, 25, 50, 75, 100 too."""
    return n > 0 and n % 5 == 0
