"""Property tests: the tag normalizer and the date parser against arbitrary Unicode."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date, time
from typing import Any, TypeVar

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.commands.parsing import DateError, parse_date, parse_month_day, parse_time
from bot.paging import MAX_PAGE, PageError, parse_page
from bot.tags import (
    MAX_TAG_LENGTH,
    TagError,
    checked_tag,
    display_name,
    hashtag,
    parse_tag_list,
    tag_key,
    visible,
)

# Every code point, lone surrogates included (a Python str can hold them).
ANY = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=80)
# Text salted with the characters that must vanish, so the examples meet them often.
INVISIBLES = "\u200b\u00ad\u2060\ufe0f\u202e\u2066\u061c\u200e\ufeff\u180e\U000e0001\u3164"
SALTED = st.lists(st.one_of(st.sampled_from(INVISIBLES), st.characters()), max_size=40).map(
    "".join
)
FEW = settings(max_examples=150, deadline=None)
T = TypeVar("T")


def attempt(call: Callable[[], T], refusal: type[ValueError]) -> tuple[T | None, Any]:
    """(result, None), or (None, the refusal): any other exception fails the test."""
    try:
        return call(), None
    except refusal as error:
        return None, error


def _ignorable(char: str) -> bool:
    return visible(char) == ""


@FEW
@given(st.one_of(ANY, SALTED))
def test_tag_keys_are_idempotent_and_hold_nothing_invisible(text: str) -> None:
    key, name = tag_key(text), display_name(text)
    assert tag_key(key) == key
    assert display_name(name) == name
    assert tag_key(name) == key
    for part in (key, name):
        assert not any(_ignorable(c) for c in part)
        assert part == part.strip()


@FEW
@given(st.one_of(ANY, SALTED))
def test_checking_a_tag_raises_only_the_refusal(text: str) -> None:
    checked, error = attempt(lambda: checked_tag(text), TagError)
    if checked is None:
        assert error.reason in ("too_long", "unusable")
        # Something to show for whatever was typed, even invisible characters.
        assert error.shown_name() or not text.strip()
        return
    name, key = checked
    assert key == tag_key(text) == tag_key(name)
    assert 0 < max(len(key), len(name)) <= MAX_TAG_LENGTH
    assert hashtag(name)  # every usable tag has a hashtag


@FEW
@given(st.lists(st.one_of(ANY, SALTED), max_size=8).map(", ".join))
def test_tag_lists_raise_only_the_refusal_and_never_come_back_empty_from_text(text: str) -> None:
    names, error = attempt(lambda: parse_tag_list(text, cap=5), TagError)
    if names is None:
        assert error.reason in ("too_long", "unusable", "too_many")
        return
    keys = [tag_key(n) for n in names]
    assert len(keys) == len(set(keys)) <= 5
    assert all(keys)


def _telegram_letter(c: str) -> bool:
    category = unicodedata.category(c)
    return c == "_" or category[0] in "LM" or category == "Nd"


@FEW
@given(st.one_of(ANY, SALTED))
def test_a_hashtag_is_one_word_telegram_links_whole(text: str) -> None:
    tag = hashtag(text)
    if not tag:
        return
    word = tag[1:]
    assert word
    assert all(_telegram_letter(c) for c in word)
    assert "__" not in word
    assert word.strip("_") == word


@FEW
@given(ANY)
def test_date_and_time_parsers_raise_only_the_refusal(text: str) -> None:
    for parse in (parse_date, parse_month_day, parse_time):
        parsed, error = attempt(lambda parse=parse: parse(text), DateError)  # type: ignore[misc]
        if parsed is None:
            assert error.value == text
        else:
            assert text.isascii()  # only ASCII digits are ever accepted


@FEW
@given(st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31)), st.times())
def test_ascii_dates_and_times_round_trip(day: date, at: time) -> None:
    assert parse_date(day.isoformat()) == day
    assert parse_month_day(day.isoformat()) == (day.year, day.month, day.day)
    clock = at.strftime("%H:%M")
    assert parse_time(clock) == at.replace(second=0, microsecond=0)


@FEW
@given(st.integers(min_value=1, max_value=999), st.integers(min_value=1, max_value=12))
def test_years_outside_1000_to_9999_are_refused(year: int, month: int) -> None:
    for text in (f"{year:04d}-{month:02d}-01", f"{year + 10_000}-{month:02d}-01"):
        parsed, error = attempt(lambda text=text: parse_date(text), DateError)  # type: ignore[misc]
        assert parsed is None
        assert error.reason in ("year", "date_format")


@FEW
@given(ANY)
def test_page_numbers_raise_only_the_refusal(text: str) -> None:
    try:
        page = parse_page(text)
    except PageError:
        return
    assert 1 <= page <= MAX_PAGE
    assert re.fullmatch(r"[0-9]*", text.strip())
