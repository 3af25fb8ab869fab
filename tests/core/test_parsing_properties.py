"""Property tests for the tag normalizer and the command and post parsers."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.commands.parsing import (
    MAX_POST_LENGTH,
    PostTextError,
    parse_command_line,
    parse_month_day,
    parse_post_text,
)
from bot.tags import display_name, hashtags, split_tag_list, tag_key

WORD = st.text(alphabet=st.characters(categories=("L", "N")), min_size=1, max_size=12)
WORDS = st.lists(WORD, min_size=1, max_size=4)


@pytest.mark.parametrize(
    "spelling",
    ["#Friends_of_Korea", "friends of korea", "FRIENDS  OF KOREA", " Friends\tof_Korea "],
)
def test_spellings_of_one_tag_share_a_key(spelling: str) -> None:
    assert tag_key(spelling) == "friends of korea"


@pytest.mark.parametrize(
    ("tag", "key"), [("#КНДР", "кндр"), ("#조선", "조선"), ("ＤＰＲＫ", "dprk")]
)
def test_cyrillic_hangul_and_fullwidth_tags(tag: str, key: str) -> None:
    assert tag_key(tag) == key


@given(st.text(max_size=80))
def test_tag_key_is_idempotent(text: str) -> None:
    key = tag_key(text)
    assert tag_key(key) == key


# Words whose upper case folds back to them (not e.g. Turkish dotless ı, which folds to i).
CASED = st.lists(
    WORD.filter(lambda w: w.upper().casefold() == w.casefold()), min_size=1, max_size=4
)


@given(CASED)
def test_case_underscores_and_spacing_never_change_the_key(words: list[str]) -> None:
    plain = " ".join(words)
    assert tag_key("_".join(w.upper() for w in words)) == tag_key(plain)
    assert tag_key("#" + "  ".join(words)) == tag_key(plain)


@given(st.text(max_size=80))
def test_keys_have_no_edge_or_double_spaces(text: str) -> None:
    key = tag_key(text)
    assert key == key.strip()
    assert "  " not in key
    assert "_" not in key


@given(st.lists(WORDS, min_size=1, max_size=6))
def test_hashtags_round_trip_through_display_names(tags: list[list[str]]) -> None:
    written = " ".join("#" + "_".join(words) for words in tags)
    found = hashtags(written)
    expected_keys = list(dict.fromkeys(tag_key(" ".join(words)) for words in tags))
    assert [tag_key(name) for name in found] == expected_keys
    assert all(display_name(name) == name for name in found)


@given(st.lists(WORDS, min_size=1, max_size=6))
def test_tag_lists_split_on_commas_and_drop_repeats(tags: list[list[str]]) -> None:
    names = split_tag_list(", ".join(" ".join(words) for words in tags))
    keys = [tag_key(name) for name in names]
    assert len(keys) == len(set(keys))


@given(
    st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True),
    st.text(max_size=60).filter(lambda s: "\n" not in s),
)
def test_command_lines_split_into_name_and_arguments(name: str, args: str) -> None:
    parsed = parse_command_line(f"/{name} {args}")
    assert parsed is not None
    assert parsed.name == name
    assert parsed.args == args.strip()
    assert parsed.addressed_to is None


@given(st.from_regex(r"[A-Za-z][A-Za-z0-9_]{2,30}", fullmatch=True))
def test_commands_addressed_to_a_bot_keep_its_name(bot: str) -> None:
    parsed = parse_command_line(f"/tag@{bot} Korea 2")
    assert parsed is not None
    assert parsed.addressed_to == bot
    assert parsed.args == "Korea 2"


@given(st.text(max_size=40).filter(lambda s: not s.lstrip().startswith("/")))
def test_text_that_is_not_a_command_is_ignored(text: str) -> None:
    assert parse_command_line(text) is None


@given(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")),
        min_size=1,
        max_size=80,
    ).filter(lambda s: s.strip() and not s.strip().startswith("#")),
    st.text(min_size=1, max_size=400).filter(lambda s: s.strip()),
    st.lists(WORDS, max_size=4),
)
def test_posts_keep_title_and_body_and_take_tags_from_the_last_line(
    title: str, body: str, tags: list[list[str]]
) -> None:
    lines = body.replace("\r", "\n").split("\n")
    body = "\n".join(
        line
        for line in lines
        if line.strip()
        and not line.strip().startswith(("tags", "Tags", "TAGS", "теги", "Теги", "태그", "#"))
    )
    if not body.strip():
        return
    names = [" ".join(words) for words in tags]
    text = f"{title}\n{body}" + (f"\nTags: {', '.join(names)}" if names else "")
    parsed = parse_post_text(text)
    assert parsed.title == title.strip()
    assert parsed.body == body.strip("\n")
    if names:
        assert [tag_key(t) for t in parsed.tags] == list(dict.fromkeys(map(tag_key, names)))


def test_post_errors_name_the_problem() -> None:
    for text, reason in [
        ("", "empty"),
        ("   \n\n", "empty"),
        ("Only a title", "no_body"),
        ("x" * 300 + "\nbody", "title_too_long"),
        ("T\n" + "x" * MAX_POST_LENGTH, "too_long"),
    ]:
        with pytest.raises(PostTextError) as raised:
            parse_post_text(text)
        assert raised.value.reason == reason


@given(st.dates(min_value=date(1000, 1, 1)))
def test_anniversary_dates_parse_back(day: date) -> None:
    text = f"{day.year:04d}-{day.month:02d}-{day.day:02d}"
    assert parse_month_day(text) == (day.year, day.month, day.day)
    assert parse_month_day(f"--{day.month:02d}-{day.day:02d}") == (None, day.month, day.day)


@pytest.mark.parametrize("text", ["15.08.1945", "1945-8-15", "1945-02-30", "--02-30", "08-15", ""])
def test_malformed_anniversary_dates_are_refused(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the parser's contract is a plain ValueError
        parse_month_day(text)
