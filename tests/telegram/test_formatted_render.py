"""Formatted announcements → Telegram HTML: the exact entities, escaped text, safe splits."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.telegram.render import (
    MAX_ENTITIES,
    message_text,
    render_message,
    runs_html,
    split_runs,
    utf16_len,
)
from bot.formatting import Style, Styles, TextStyle
from bot.ports import MessageKind, OutboundMessage
from bot.runs import clip, nest
from tests.fakes.telegram_wire import ApiError, parse_html

_NUMBER = re.compile(r"\n\n\((\d+)/(\d+)\)$")
_TYPES = {
    Style.BOLD: "bold", Style.ITALIC: "italic", Style.UNDERLINE: "underline",
    Style.STRIKE: "strikethrough", Style.SPOILER: "spoiler", Style.CODE: "code",
    Style.PRE: "pre", Style.LINK: "text_link", Style.QUOTE: "blockquote",
}


def _units(text: str, index: int) -> int:
    return utf16_len(text[:index])


def expected_entities(text: str, runs: Styles) -> list[dict[str, object]]:
    """What Telegram should report for `text` with `runs` (UTF-16 offsets)."""
    out: list[dict[str, object]] = []
    for run in nest(runs, len(text)):
        if run.style is Style.LINK and not (run.url or "").startswith("https://"):
            continue
        entity: dict[str, object] = {
            "type": _TYPES[run.style],
            "offset": _units(text, run.start),
            "length": _units(text, run.end) - _units(text, run.start),
        }
        if run.style is Style.LINK:
            entity["url"] = run.url
        if run.style is Style.PRE and run.language:
            entity["language"] = run.language
        out.append(entity)
    return sorted(out, key=_entity_key)


def _entity_key(entity: dict[str, object]) -> tuple[object, ...]:
    return (entity["offset"], -int(str(entity["length"])), entity["type"])


def sample() -> tuple[str, Styles]:
    """Bold with italic inside, a link, a code block and emoji on both sides of everything."""
    text = "😀 Hello bold and italic 👍🏽!\nSee the site 🌍.\nprint('<&>')\nEnd 𝄞"
    bold = text.index("bold")
    italic = text.index("italic")
    site = text.index("the site")
    code = text.index("print")
    runs = (
        TextStyle(Style.BOLD, bold, italic + len("italic")),
        TextStyle(Style.ITALIC, italic, italic + len("italic")),
        TextStyle(Style.LINK, site, site + len("the site 🌍"), url="https://example.org/?a=1&b=<2>"),
        TextStyle(Style.PRE, code, code + len("print('<&>')"), language="python"),
    )
    return text, runs


def test_nested_link_code_block_and_emoji_become_exactly_those_entities() -> None:
    text, runs = sample()
    plain, entities = parse_html(runs_html(text, runs))
    assert plain == text
    assert sorted(entities, key=_entity_key) == expected_entities(text, runs)
    assert {e["type"] for e in entities} == {"bold", "italic", "text_link", "pre"}


def test_user_text_stays_literal() -> None:
    text = "1 < 2 & 3 > 2, @everyone **not bold** <b>x</b> &amp;"
    runs = (TextStyle(Style.BOLD, 0, 5),)
    html_text = runs_html(text, runs)
    plain, entities = parse_html(html_text)
    assert plain == text
    assert entities == [{"type": "bold", "offset": 0, "length": 5}]


def test_unsafe_link_and_crossing_runs() -> None:
    text = "click here now"
    runs = (
        TextStyle(Style.LINK, 0, 10, url="javascript:alert(1)"),
        TextStyle(Style.BOLD, 6, 14),
        TextStyle(Style.ITALIC, 0, 8),
    )
    plain, entities = parse_html(runs_html(text, runs))
    assert plain == text
    assert "text_link" not in {e["type"] for e in entities}
    covered = {
        (e["type"], i) for e in entities for i in range(e["offset"], e["offset"] + e["length"])
    }
    assert covered == {("italic", i) for i in range(0, 8)} | {("bold", i) for i in range(6, 14)}


def test_announcement_body_keeps_its_runs_beside_title_and_signature() -> None:
    body = "\n\nA **bold** word\n"
    start = body.index("bold")
    message = OutboundMessage(
        MessageKind.ANNOUNCEMENT, title="T", body=body, signature="S", tags=("x",),
        body_styles=(TextStyle(Style.BOLD, start, start + 4),),
    )
    (part,) = render_message(message)
    assert part == "<b>T</b>\n\nA **<b>bold</b>** word\n\n<i>S</i>\n\n#x"


Aligned = list[tuple[int, str, list[dict[str, object]]]]


def _aligned(original: str, parts: list[str], limit: int) -> Aligned:
    """Each part's (start in the original, plain text, entities), checking validity and order."""
    found = []
    pos = 0
    for i, part in enumerate(parts, 1):
        plain, entities = parse_html(part)
        assert utf16_len(plain) <= limit
        if len(parts) > 1:
            match = _NUMBER.search(plain)
            assert match is not None
            assert (int(match[1]), int(match[2])) == (i, len(parts))
            plain = plain[: match.start()]
            entities = [e for e in entities if int(str(e["offset"])) < utf16_len(plain)]
        while original[pos : pos + len(plain)] != plain:
            assert original[pos].isspace(), "only whitespace between parts may be dropped"
            pos += 1
        found.append((pos, plain, entities))
        pos += len(plain)
    assert original[pos:].strip() == ""
    return found


def _check(text: str, runs: Styles, limit: int) -> list[str]:
    parts = [
        runs_html(part, part_runs) + suffix
        for part, part_runs, suffix in split_runs(text, runs, limit)
    ]
    if not text.strip():
        assert parts == []
        return parts
    nested = nest(runs, len(text))
    for start, plain, entities in _aligned(text, parts, limit):
        want = expected_entities(plain, clip(nested, start, start + len(plain)))
        assert sorted(entities, key=_entity_key) == want
    return parts


def test_9000_characters_of_formatting_split_without_breaking_a_run() -> None:
    paragraph, runs = sample()
    text = ""
    all_runs: list[TextStyle] = []
    while len(text) < 9000:
        offset = len(text)
        all_runs.extend(
            TextStyle(r.style, r.start + offset, r.end + offset, r.url, r.language) for r in runs
        )
        text += paragraph + "\n\n"
    parts = _check(text, tuple(all_runs), 4096)
    # 9,000 characters fit three parts, but Telegram shows only 100 entities of a message.
    assert len(parts) > 3
    assert all(len(parse_html(part)[1]) <= MAX_ENTITIES for part in parts)
    # Every run fits a part whole, so none may be cut: each part holds whole samples' runs.
    for start, plain, entities in _aligned(text, parts, 4096):
        for run in all_runs:
            inside = start <= run.start < start + len(plain)
            if inside:
                assert run.end <= start + len(plain), f"{run} cut by the split"
        assert len(entities) % 4 == 0


def test_a_run_longer_than_a_part_is_closed_and_reopened() -> None:
    text = ("word " * 2000).strip()
    parts = _check(text, (TextStyle(Style.BOLD, 0, len(text)), TextStyle(Style.ITALIC, 3, 9)), 4096)
    assert len(parts) == 3
    assert all(part.startswith("<b>") and "</b>\n\n(" in part for part in parts)


def test_the_fake_refuses_broken_html() -> None:
    for broken in ("<b>x</i>", "<b>x", "a < b", "x & y", "<code><b>x</b></code>"):
        with pytest.raises(ApiError, match="can't parse entities"):
            parse_html(broken)


_ALPHABET = st.sampled_from(
    [*"ab cd\n\n\n <>&\"'*_`|@", "𝄞", "😀", "é", "\u0301", "한", "👍", "🏽", "\u200d"]
)


@st.composite
def formatted(draw: st.DrawFn) -> tuple[str, Styles]:
    text = draw(st.text(alphabet=_ALPHABET, max_size=400))
    n = len(text)
    runs = []
    for _ in range(draw(st.integers(0, 12))):
        a = draw(st.integers(0, n))
        b = draw(st.integers(a, n))
        style = draw(st.sampled_from(list(Style)))
        runs.append(
            TextStyle(
                style, a, b,
                url=draw(st.sampled_from(["https://e.org/?q=<1>&r=2", "javascript:x"]))
                if style is Style.LINK else None,
                language=draw(st.sampled_from([None, "python", "c++"]))
                if style is Style.PRE else None,
            )
        )
    return text, tuple(runs)


@settings(max_examples=400, deadline=None)
@given(formatted(), st.sampled_from([20, 33, 64, 150, 4096]))
def test_any_runs_any_emoji_split_into_valid_parts(
    sample_text: tuple[str, Styles], limit: int
) -> None:
    text, runs = sample_text
    _check(text, runs, limit)


def test_layout_text_and_runs() -> None:
    message = OutboundMessage(MessageKind.ANNOUNCEMENT, title=" T ", body="b", signature="s")
    text, runs = message_text(message)
    assert text == "T\n\nb\n\ns"
    assert [(r.style, text[r.start : r.end]) for r in runs] == [
        (Style.BOLD, "T"), (Style.ITALIC, "s"),
    ]
