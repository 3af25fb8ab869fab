"""Formatted announcements as Discord markdown: escaped text, nested markers, safe splits."""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from adapters.discord.markdown import runs_markdown, take_runs, ulen
from adapters.discord.markdown_parse import parse_markdown
from adapters.discord.render import EMBED_TOTAL_LIMIT, render_message
from bot.formatting import Style, Styles, TextStyle
from bot.ports import MessageKind, OutboundMessage
from bot.runs import clip, nest

TEXT = "😀 Hello bold and italic 👍🏽!\nSee the site 🌍.\nprint('<&>')\nEnd 𝄞"


def sample_runs(text: str = TEXT, offset: int = 0) -> Styles:
    """Bold with italic inside, a link and a code block, over TEXT placed at `offset`."""
    bold, italic = text.index("bold", offset), text.index("italic", offset)
    site, code = text.index("the site", offset), text.index("print", offset)
    return (
        TextStyle(Style.BOLD, bold, italic + 6),
        TextStyle(Style.ITALIC, italic, italic + 6),
        TextStyle(Style.LINK, site, site + len("the site 🌍"), url="https://example.org/?a=1"),
        TextStyle(Style.PRE, code, code + len("print('<&>')"), language="python"),
    )


def _key(run: TextStyle) -> tuple[int, int, str]:
    return (run.start, -run.end, run.style.value)


def test_sample_as_markdown() -> None:
    assert runs_markdown(TEXT, sample_runs()) == (
        "😀 Hello **bold and *italic*** 👍🏽!\n"
        "See [the site 🌍](<https://example.org/?a=1>).\n"
        "```python\nprint('<&>')\n```\nEnd 𝄞"
    )


def test_user_text_stays_literal_and_other_styles() -> None:
    text = "1 < 2 & @everyone **not bold** __x__ ~~y~~ ||z|| `q` > no quote"
    runs = (
        TextStyle(Style.UNDERLINE, 0, 1),
        TextStyle(Style.STRIKE, 2, 3),
        TextStyle(Style.SPOILER, 4, 5),
        TextStyle(Style.CODE, 6, 7),
        TextStyle(Style.BOLD, 7, 9),  # whitespace around a bold run stays outside the markers
        TextStyle(Style.LINK, 0, 1, url="javascript:alert(1)"),
    )
    markdown = runs_markdown(text, runs)
    assert markdown.startswith("__1__ ~~<~~ ||2|| `&` **@**everyone \\*\\*not bold\\*\\*")
    plain, parsed = parse_markdown(markdown)
    assert plain == text
    assert {run.style for run in parsed} == {
        Style.UNDERLINE, Style.STRIKE, Style.SPOILER, Style.CODE, Style.BOLD
    }


def test_quote_lines_and_code_with_backticks() -> None:
    text = "intro\nquoted line\nsecond line\nafter a`b"
    start = text.index("quoted")
    runs = (
        TextStyle(Style.QUOTE, start, text.index("\nafter")),
        TextStyle(Style.CODE, text.index("a`b"), len(text)),
    )
    assert runs_markdown(text, runs) == (
        "intro\n> quoted line\n> second line\nafter `` a`b ``"
    )


def test_modal_markdown_is_parsed_into_runs() -> None:
    plain, runs = parse_markdown(
        "**Big** news: *very* __real__ ~~old~~ ||secret|| `x = 1` "
        "[site **here**](https://example.org) \\*kept\\* ** alone https://a.b/c__d__e"
    )
    assert plain == (
        "Big news: very real old secret x = 1 site here *kept* ** alone https://a.b/c__d__e"
    )
    found = {(run.style, plain[run.start : run.end], run.url) for run in runs}
    assert found == {
        (Style.BOLD, "Big", None), (Style.ITALIC, "very", None), (Style.UNDERLINE, "real", None),
        (Style.STRIKE, "old", None), (Style.SPOILER, "secret", None), (Style.CODE, "x = 1", None),
        (Style.LINK, "site here", "https://example.org"), (Style.BOLD, "here", None),
    }
    assert parse_markdown("[bad](javascript:alert(1)) <b>&") == (
        "[bad](javascript:alert(1)) <b>&", ()
    )


def test_9000_formatted_characters_split_without_breaking_a_run() -> None:
    text, runs = "", list[TextStyle]()
    while len(text) < 9000:
        runs.extend(sample_runs(text + TEXT, len(text)))
        text += TEXT + "\n\n"
    message = OutboundMessage(
        MessageKind.ANNOUNCEMENT, title="Long", body=text, tags=("Korea",), signature="Society",
        body_styles=tuple(runs),
    )
    parts = render_message(message)
    chunks = [embed.description or "" for part in parts for embed in part.embeds]
    assert len(chunks) >= 3
    for part in parts:
        assert part.size() <= EMBED_TOTAL_LIMIT
    seen = []
    for chunk in chunks:
        assert ulen(chunk) <= 4096
        plain, parsed = parse_markdown(chunk)
        seen.append(plain)
        # Every run is whole in one chunk: none was cut.
        whole = {
            Style.BOLD: {"bold and italic"}, Style.ITALIC: {"italic", "Society"},
            Style.LINK: {"the site 🌍"}, Style.PRE: {"print('<&>')"},
        }
        for run in parsed:
            assert plain[run.start : run.end] in whole[run.style], run
    assert "".join(seen).replace("\n", "") == (text.strip() + "\n\nSociety").replace("\n", "")


_ALPHABET = st.sampled_from([*"ab cd\n\n <>&*_~|`[]()\\", "😀", "𝄞", "é", "\u0301", "한", "👍"])
_STYLES = [
    Style.BOLD, Style.ITALIC, Style.UNDERLINE, Style.STRIKE, Style.SPOILER, Style.LINK, Style.CODE
]


@st.composite
def formatted(draw: st.DrawFn) -> tuple[str, Styles]:
    text = draw(st.text(alphabet=_ALPHABET, max_size=300))
    runs = []
    for _ in range(draw(st.integers(0, 10))):
        a = draw(st.integers(0, len(text)))
        b = draw(st.integers(a, len(text)))
        style = draw(st.sampled_from(_STYLES))
        runs.append(TextStyle(style, a, b, url="https://e.org/x" if style is Style.LINK else None))
    return text, tuple(runs)


def _same_formatting(text: str, wanted: Styles, parsed: Styles) -> None:
    """What a reader sees is what was asked, but for spaces at a run's edges (Discord needs
    `**a**`, not `** a **`) and links across lines (Discord cannot show them)."""
    got = _covered(parsed)
    asked = _covered(wanted)
    assert not got - asked
    multi_line = {
        (r.style, r.url) for r in wanted if r.style is Style.LINK and "\n" in text[r.start : r.end]
    }
    for style, url, i in asked - got:
        assert text[i].isspace() or (style, url) in multi_line, (style, i)


def _covered(runs: Styles | list[TextStyle]) -> set[tuple[Style, str | None, int]]:
    """Which characters carry which style (touching runs of one style read the same)."""
    return {(run.style, run.url, i) for run in runs for i in range(run.start, run.end)}


@settings(max_examples=300, deadline=None)
@given(formatted(), st.integers(40, 400))
def test_any_runs_split_into_chunks_that_read_back_the_same(
    sample: tuple[str, Styles], budget: int
) -> None:
    text, runs = sample
    # Inline code cannot hold a double backtick; it is written with a zero-width space between.
    assume(not any(r.style is Style.CODE and "``" in text[r.start : r.end] for r in runs))
    rest, rest_runs = text, runs
    consumed = 0
    while rest:
        markdown, after, after_runs = take_runs(rest, rest_runs, budget)
        plain, parsed = parse_markdown(markdown)
        # One character is never cut; with every style's markers around it, it may exceed a
        # tiny budget (six styles on "<": 41 units of 40; Discord's 2,000 is never reached).
        assert ulen(markdown) <= budget or len(plain.strip()) <= 1
        head = rest[: len(plain)]
        assert plain == head
        assert rest[len(plain) : len(rest) - len(after)].strip() == ""
        wanted = clip(nest(rest_runs, len(rest)), 0, len(head))
        _same_formatting(head, wanted, parsed)
        consumed += len(rest) - len(after)
        rest, rest_runs = after, after_runs
    assert consumed == len(text)
