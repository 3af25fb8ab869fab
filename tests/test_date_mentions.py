"""Finding full dates in post text (English, Russian, Korean, ISO) for anniversary suggestions."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.schedule.date_mentions import DateMention, find_dates

SAMPLE = (Path(__file__).parent / "data" / "society-post.txt").read_text(encoding="utf-8")
LIBERATION = date(1945, 8, 15)


def test_the_sample_post_has_exactly_one_full_date() -> None:
    mentions = find_dates(SAMPLE)
    assert [(m.on, m.text) for m in mentions] == [(LIBERATION, "August 15, 1945")]
    mention = mentions[0]
    assert SAMPLE[mention.start : mention.end] == "August 15, 1945"
    assert "April 2019" in SAMPLE  # present, and not a full date


@pytest.mark.parametrize(
    "text",
    [
        "August 15, 1945",
        "August 15 1945",
        "august 15th, 1945",
        "Aug. 15, 1945",
        "Aug 15, 1945",
        "15 August 1945",
        "15th of August, 1945",
        "15 Aug. 1945",
        "15 AUGUST 1945",
        "15 августа 1945 года",
        "15 августа 1945 г.",
        "15 августа 1945 г",
        "15 августа 1945",
        "15 АВГУСТА 1945 ГОДА",
        "15 Августа 1945 года",
        "1945년 8월 15일",
        "1945년8월15일",
        "1945-08-15",
    ],
)
def test_each_full_date_form(text: str) -> None:
    sentence = f"Liberation came on {text} after long years."
    mentions = find_dates(sentence)
    assert [m.on for m in mentions] == [LIBERATION]
    assert mentions[0].text == text
    assert sentence[mentions[0].start : mentions[0].end] == text


@pytest.mark.parametrize(
    "text",
    [
        "April 2019",
        "in April, 2019",
        "August 15",
        "15 August",
        "15 августа",
        "в апреле 2019 года",
        "8월 15일",
        "1945년 8월",
        "1945-08",
        "May 2020 and may 15",
        "page 15 August1945",
        "version 2019-04-251",
        "1945-08-15-3",
    ],
)
def test_partial_dates_are_not_full_dates(text: str) -> None:
    assert find_dates(text) == []


@pytest.mark.parametrize(
    "text",
    ["February 31, 2020", "31 февраля 2020 года", "2020년 2월 30일", "2021-02-29", "2020-13-01"],
)
def test_impossible_dates_are_skipped(text: str) -> None:
    assert find_dates(text) == []


def test_leap_day_is_a_date() -> None:
    assert [m.on for m in find_dates("born 29 February 2020")] == [date(2020, 2, 29)]


def test_order_and_deduplication_by_date() -> None:
    text = (
        "Victory: 9 мая 1945 года. Liberation: 1945년 8월 15일. "
        "Again August 15, 1945 and 1945-08-15. Founding: 1948-09-09; victory, May 9, 1945."
    )
    mentions = find_dates(text)
    assert [m.on for m in mentions] == [date(1945, 5, 9), LIBERATION, date(1948, 9, 9)]
    assert [m.text for m in mentions] == ["9 мая 1945 года", "1945년 8월 15일", "1948-09-09"]
    assert all(text[m.start : m.end] == m.text for m in mentions)
    assert [m.start for m in mentions] == sorted(m.start for m in mentions)


def test_mention_is_a_value() -> None:
    assert DateMention(LIBERATION, "1945-08-15", 0, 10) == find_dates("1945-08-15")[0]


_english_months = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip
_russian_months = [
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
]  # fmt: skip


@given(
    on=st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31)),
    form=st.integers(0, 4),
    filler=st.text(alphabet="abc xyz,.;", max_size=20),
)
def test_every_valid_date_in_every_form_is_found(on: date, form: int, filler: str) -> None:
    text = [
        f"{_english_months[on.month - 1]} {on.day}, {on.year}",
        f"{on.day} {_english_months[on.month - 1]} {on.year}",
        f"{on.day} {_russian_months[on.month - 1]} {on.year} года",
        f"{on.year}년 {on.month}월 {on.day}일",
        on.isoformat(),
    ][form]
    mentions = find_dates(f"{filler} {text} {filler}")
    assert [(m.on, m.text) for m in mentions] == [(on, text)]
