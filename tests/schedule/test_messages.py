"""Anniversary and reminder texts: ordinals, jubilees, no ordinal without a year, dates."""

from __future__ import annotations

import string
from datetime import UTC, date, datetime

import pytest

from bot.domain import Anniversary
from bot.i18n import catalog
from bot.schedule.messages import MSGIDS, days_before, format_day, headline, occurrence_message
from bot.schedule.occurrences import DAY, Occurrence, kind_before

from .support import PROPOSED, proposed

LIBERATION = "the liberation of Korea"
FIRE = datetime(2026, 8, 15, 0, 0, tzinfo=UTC)


def occ(kind: str = DAY, years: int | None = 81, on: date = date(2026, 8, 15)) -> Occurrence:
    """An occurrence of anniversary 1."""
    return Occurrence(1, on, kind, FIRE, years)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Today is the 81st anniversary of the liberation of Korea"),
        ("ru", "Сегодня 81-я годовщина: the liberation of Korea"),
        ("ko", "오늘은 the liberation of Korea 81주년입니다"),
    ],
)
def test_the_day_carries_the_ordinal_in_each_language(language: str, expected: str) -> None:
    assert headline(LIBERATION, occ(), language, proposed) == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "★ Today is the 80th anniversary of the liberation of Korea — a jubilee"),
        ("ru", "★ Сегодня 80-я годовщина: the liberation of Korea — юбилей"),
        ("ko", "★ 오늘은 the liberation of Korea 80주년입니다 — 주년 기념"),
    ],
)
def test_round_anniversaries_are_marked_as_jubilees(language: str, expected: str) -> None:
    assert headline(LIBERATION, occ(years=80), language, proposed) == expected


@pytest.mark.parametrize("years", [1, 2, 3, 11, 12, 13, 21, 22, 23, 81, 101, 111])
def test_only_every_fifth_year_is_a_jubilee(years: int) -> None:
    assert "★" not in headline("x", occ(years=years), "en")


@pytest.mark.parametrize(
    ("years", "ordinal"), [(1, "1st"), (2, "2nd"), (3, "3rd"), (11, "11th"), (12, "12th"),
                           (13, "13th"), (21, "21st"), (22, "22nd"), (111, "111th")]
)
def test_english_ordinals(years: int, ordinal: str) -> None:
    assert headline("x", occ(years=years), "en") == f"Today is the {ordinal} anniversary of x"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Today we remember Victory Day"),
        ("ru", "Сегодня мы вспоминаем: Victory Day"),
        ("ko", "오늘 우리는 기억합니다: Victory Day"),
    ],
)
def test_without_a_year_there_is_no_ordinal(language: str, expected: str) -> None:
    assert headline("Victory Day", occ(years=None), language, proposed) == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "In 7 days: the 81st anniversary of the liberation of Korea (15 August)"),
        ("ru", "Через 7 дн.: 81-я годовщина — the liberation of Korea (15 августа)"),
        ("ko", "7일 후: the liberation of Korea 81주년 (8월 15일)"),
    ],
)
def test_reminders_say_how_many_days_are_left(language: str, expected: str) -> None:
    assert headline(LIBERATION, occ(kind_before(7)), language, proposed) == expected


def test_the_day_before_says_tomorrow_and_jubilees_stay_marked() -> None:
    assert headline("Victory Day", occ(kind_before(1), years=None, on=date(2026, 5, 9)), "en") == (
        "Tomorrow: Victory Day (9 May)"
    )
    assert headline(LIBERATION, occ(kind_before(1), years=75), "en") == (
        "★ Tomorrow: the 75th anniversary of the liberation of Korea (15 August) — a jubilee"
    )
    assert headline("X", occ(kind_before(30), years=None), "ru", proposed) == (
        "Через 30 дн.: X (15 августа)"
    )


def test_body_is_the_text_and_a_pointer_to_the_announcement() -> None:
    anniversary = Anniversary(
        id=1, title=LIBERATION, month=8, day=15, year=1945, text=" Flags out. ",
        announcement_id=12,
    )
    title, body = occurrence_message(anniversary, occ(), "en")
    assert title == "Today is the 81st anniversary of the liberation of Korea"
    assert body == "Flags out.\n\nMore: /show 12"
    bare = Anniversary(id=2, title="X", month=1, day=1)
    assert occurrence_message(bare, occ(years=None), "ru", proposed) == (
        "Сегодня мы вспоминаем: X", ""
    )


def test_kinds_and_dates() -> None:
    assert days_before(DAY) is None
    assert days_before("before:7") == 7
    with pytest.raises(ValueError, match="unknown occurrence kind"):
        days_before("after:1")
    assert format_day(date(2026, 8, 15), "en") == "15 August"
    assert format_day(date(2026, 8, 15), "ru") == "15 августа"
    assert format_day(date(2026, 8, 15), "ko") == "8월 15일"


def test_every_msgid_has_a_proposed_translation_with_the_same_placeholders() -> None:
    for language, proposals in PROPOSED.items():
        assert set(proposals) == set(MSGIDS), language
        for msgid, text in proposals.items():
            assert _fields(msgid) == _fields(text), (language, msgid)


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("language", ["ru", "ko"])
def test_the_shipped_catalogs_translate_every_message_with_its_placeholders(
    language: str,
) -> None:
    shipped = catalog(language)
    for msgid in MSGIDS:
        assert msgid in shipped, (language, msgid)
        assert _fields(shipped[msgid]) == _fields(msgid), (language, msgid)


def test_the_shipped_catalogs_read_as_the_issue_asks() -> None:
    assert headline(LIBERATION, occ(), "ru").startswith("Сегодня 81-я годовщина")
    assert headline("광복", occ(), "ko") == "오늘은 광복 81주년입니다"
    assert headline("광복", occ(years=80), "ko").startswith("★ 오늘은 광복 80주년입니다")
