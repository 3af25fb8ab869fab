"""Ordinals for anniversary messages in English, Russian and Korean; jubilees."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.schedule.ordinals import is_jubilee, ordinal


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (10, "10th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (14, "14th"),
        (21, "21st"),
        (22, "22nd"),
        (23, "23rd"),
        (75, "75th"),
        (81, "81st"),
        (100, "100th"),
        (101, "101st"),
        (102, "102nd"),
        (111, "111th"),
        (112, "112th"),
        (113, "113th"),
        (121, "121st"),
        (1011, "1011th"),
        (0, "0th"),
    ],
)
def test_english(n: int, expected: str) -> None:
    assert ordinal(n, "en") == expected


@pytest.mark.parametrize("n", [1, 2, 3, 11, 21, 81, 100, 112])
def test_russian_is_feminine(n: int) -> None:
    assert ordinal(n, "ru") == f"{n}-я"


def test_korean_is_the_full_counter() -> None:
    assert ordinal(81, "ko") == "81주년"
    assert f"오늘은 조선 해방 {ordinal(81, 'ko')}입니다" == "오늘은 조선 해방 81주년입니다"


@pytest.mark.parametrize(
    ("language", "expected"),
    [("RU", "81-я"), ("ru-RU", "81-я"), ("ko_KR", "81주년"), ("de", "81st"), ("", "81st")],
)
def test_language_variants_and_fallback(language: str, expected: str) -> None:
    assert ordinal(81, language) == expected


@given(st.integers(1, 10_000))
def test_english_suffix_matches_the_spelled_rule(n: int) -> None:
    text = ordinal(n, "en")
    assert text.startswith(str(n))
    suffix = text[len(str(n)) :]
    if n % 100 in (11, 12, 13):
        assert suffix == "th"
    else:
        assert suffix == {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


@pytest.mark.parametrize("n", [5, 10, 15, 20, 25, 50, 75, 80, 100, 105, 1000])
def test_jubilees(n: int) -> None:
    assert is_jubilee(n)


@pytest.mark.parametrize("n", [0, -5, -10, 1, 4, 11, 24, 26, 74, 81, 99, 101])
def test_not_jubilees(n: int) -> None:
    assert not is_jubilee(n)
