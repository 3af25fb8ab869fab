"""Style runs in the core: nesting, clipping, and a post's runs moved into its body."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from bot.commands.parsing import parse_post_text
from bot.formatting import Style, Styles, TextStyle
from bot.runs import clip, flat_runs, map_pieces, nest, shift

B, IT, C, L = Style.BOLD, Style.ITALIC, Style.CODE, Style.LINK


def _spans(text: str, runs: Styles) -> list[tuple[str, str]]:
    return [(run.style.value, text[run.start : run.end]) for run in runs]


def test_crossing_runs_are_split_and_ties_nest_by_style() -> None:
    runs = (TextStyle(IT, 0, 6), TextStyle(B, 3, 9), TextStyle(C, 0, 6), TextStyle(B, 0, 0))
    assert nest(runs, 9) == (
        TextStyle(IT, 0, 6), TextStyle(C, 0, 6), TextStyle(B, 6, 9),
    )  # bold inside code is dropped; its part after the italic stays


def test_same_style_inside_itself_dropped_touching_siblings_merged() -> None:
    runs = (TextStyle(B, 0, 4), TextStyle(B, 1, 2), TextStyle(B, 4, 6), TextStyle(L, 7, 9, "u"))
    assert nest(runs, 20) == (TextStyle(B, 0, 6), TextStyle(L, 7, 9, "u"))


def test_clip_and_shift() -> None:
    runs = (TextStyle(B, 0, 4), TextStyle(IT, 5, 9))
    assert clip(runs, 2, 6) == (TextStyle(B, 0, 2), TextStyle(IT, 3, 4))
    assert shift(runs, -3) == (TextStyle(B, 0, 1), TextStyle(IT, 2, 6))


def test_map_pieces_moves_runs_with_the_text() -> None:
    text = "See /tags now or /tag x"
    runs = (TextStyle(B, 0, 3), TextStyle(C, 17, 23))
    out, moved = map_pieces(text, runs, lambda piece: piece.replace("/", "herald "))
    assert out == "See herald tags now or herald tag x"
    assert _spans(out, moved) == [("bold", "See"), ("code", "herald tag x")]


def test_post_runs_move_into_body_coordinates() -> None:
    text = "\r\nTitle **x**\r\n\r\nFirst bold line\r\nsecond\r\nTags: a, b\r\n"
    bold = text.index("bold")
    runs = (
        TextStyle(B, text.index("Title"), text.index("Title") + 5),  # on the title: dropped
        TextStyle(B, bold, bold + 4),
        TextStyle(IT, text.index("second"), len(text)),  # runs past the body: clipped
    )
    post = parse_post_text(text, runs)
    assert (post.title, post.body) == ("Title **x**", "First bold line\nsecond")
    assert post.tags == ("a", "b")
    assert _spans(post.body, post.body_styles) == [("bold", "bold"), ("italic", "second")]
    assert parse_post_text(text).body_styles == ()


_RUNS = st.lists(
    st.builds(TextStyle, st.sampled_from(list(Style)), st.integers(-2, 30), st.integers(-2, 30)),
    max_size=10,
)


@given(_RUNS)
def test_nest_is_idempotent_and_properly_nested(runs: list[TextStyle]) -> None:
    nested = nest(tuple(runs), 25)
    assert nest(nested, 25) == nested
    for a in nested:
        assert 0 <= a.start < a.end <= 25
        for b in nested:
            crossing = a.start < b.start < a.end < b.end
            assert not crossing


def _pieces(text: str, runs: Styles) -> list[tuple[str, str, str | None]]:
    """The text cut at the (flat) runs' edges: each piece's style ("plain" outside runs)."""
    cuts = sorted({0, len(text), *(r.start for r in runs), *(r.end for r in runs)})
    pieces = []
    for start, end in pairwise(cuts):
        run = next((r for r in runs if r.start <= start and end <= r.end), None)
        pieces.append(
            ("plain", text[start:end], None) if run is None
            else (run.style.value, text[start:end], run.url)
        )
    return pieces


def test_flat_runs_keep_the_strongest_style() -> None:
    text = "a bold italic link code end"
    runs = flat_runs(
        text,
        (
            TextStyle(B, 2, 13), TextStyle(IT, 7, 13), TextStyle(L, 14, 18, url="https://x"),
            TextStyle(C, 19, 23), TextStyle(L, 24, 27, url="javascript:x"),
        ),
    )
    assert all(a.end <= b.start for a, b in pairwise(runs))  # none overlap
    assert _pieces(text, runs) == [
        ("plain", "a ", None), ("bold", "bold italic", None), ("plain", " ", None),
        ("link", "link", "https://x"), ("plain", " ", None), ("code", "code", None),
        ("plain", " end", None),
    ]
