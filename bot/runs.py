"""Operations on style runs (bot.formatting): proper nesting, clipping to a slice of the text."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from dataclasses import replace
from itertools import accumulate, pairwise

from bot.formatting import Style, Styles, TextStyle

# Outermost first when two runs cover the same text.
_RANK = {
    Style.QUOTE: 0,
    Style.PRE: 1,
    Style.LINK: 2,
    Style.BOLD: 3,
    Style.ITALIC: 4,
    Style.UNDERLINE: 5,
    Style.STRIKE: 6,
    Style.SPOILER: 7,
    Style.CODE: 8,
}
# Code and code blocks show their text verbatim: nothing may be styled inside them.
_VERBATIM = {Style.CODE, Style.PRE}


def order_key(run: TextStyle) -> tuple[int, int, int]:
    """Sort key: by start, longer (outer) runs first, then the outer style first."""
    return (run.start, -run.end, _RANK[run.style])


def nest(styles: Styles, length: int) -> Styles:
    """Runs clipped to [0, length), properly nested (a crossing run is split), in order.

    Runs inside code or code blocks, and a run inside one of its own style, are dropped.
    """
    if _flat(styles, length):
        return styles
    result, merged = _nest_once(styles, length)
    # Merging touching runs can make a new tie (`**a**` over two code runs that became one);
    # nesting again settles it. Without a merge one pass is settled already.
    for _ in range(8):
        if not merged:
            break
        result, merged = _nest_once(result, length)
    return result


def _flat(styles: Styles, length: int) -> bool:
    """Whether the runs already follow one another, none empty, none continuing the one before.

    A reply's runs mostly are; nesting them would give them back unchanged.
    """
    end = 0
    previous: TextStyle | None = None
    for run in styles:
        if run.start < end or run.end <= run.start or run.end > length:
            return False
        if previous is not None and _continues(previous, run):
            return False
        end, previous = run.end, run
    return True


def _nest_once(styles: Styles, length: int) -> tuple[Styles, bool]:
    heap = [
        (order_key(r), i, r)
        for i, r in enumerate(
            run if run.start >= 0 and run.end <= length
            else replace(run, start=max(0, run.start), end=min(length, run.end))
            for run in styles
        )
        if r.start < r.end
    ]
    merged = False
    heapq.heapify(heap)
    counter = len(styles)  # tie-breaker after every index used above, so runs never compare
    out: list[TextStyle] = []
    stack: list[int] = []  # indices into `out` of the runs open at this point
    last_child: dict[int, int] = {}  # parent index (-1: none) → index of its last child
    while heap:
        _, _, run = heapq.heappop(heap)
        while stack and out[stack[-1]].end <= run.start:
            stack.pop()
        open_runs = [out[i] for i in stack]
        if open_runs and open_runs[-1].end < run.end:
            # Crosses the run it starts in: queue both halves, so a half that now covers
            # the same text as another run is ordered by style like any other tie.
            cut = open_runs[-1].end
            for half in (replace(run, end=cut), replace(run, start=cut)):
                heapq.heappush(heap, (order_key(half), counter, half))
                counter += 1
            continue
        if any(o.style in _VERBATIM for o in open_runs):
            continue
        if any(o.style is run.style for o in open_runs):
            continue  # bold in bold says nothing; a link in a link or a quote in a quote is refused
        parent = stack[-1] if stack else -1
        previous = last_child.get(parent)
        if previous is not None and _continues(out[previous], run):
            # `**a****b**` would read as something else: one run, not two touching ones.
            out[previous] = replace(out[previous], end=run.end)
            stack.append(previous)
            merged = True
            continue
        out.append(run)
        last_child[parent] = len(out) - 1
        stack.append(len(out) - 1)
    return tuple(out), merged


def _continues(before: TextStyle, run: TextStyle) -> bool:
    return (before.end, before.style, before.url, before.language) == (
        run.start, run.style, run.url, run.language
    )


def utf16_offsets(text: str) -> Sequence[int]:
    """Where each code point of `text` starts in UTF-16 code units, then the total length."""
    if len(text.encode("utf-16-le")) == 2 * len(text):
        return range(len(text) + 1)  # no character outside the BMP: one unit each
    return [0, *accumulate(2 if ord(c) > 0xFFFF else 1 for c in text)]


def clip(styles: Styles, start: int, end: int) -> Styles:
    """The runs over `text[start:end]`, in that slice's coordinates; empty ones dropped."""
    out = []
    for run in styles:
        lo, hi = max(start, run.start), min(end, run.end)
        if lo < hi:
            out.append(TextStyle(run.style, lo - start, hi - start, run.url, run.language))
    return tuple(out)


def map_pieces(text: str, styles: Styles, change: Callable[[str], str]) -> tuple[str, Styles]:
    """The text with `change` applied to each piece between run edges, the runs moved to fit."""
    runs = clip(styles, 0, len(text))
    edges = sorted({0, len(text), *(r.start for r in runs), *(r.end for r in runs)})
    pieces: list[str] = []
    moved = {0: 0}
    for start, end in pairwise(edges):
        pieces.append(change(text[start:end]))
        moved[end] = moved[start] + len(pieces[-1])
    kept = (replace(r, start=moved[r.start], end=moved[r.end]) for r in runs)
    return "".join(pieces), tuple(r for r in kept if r.start < r.end)


def shift(styles: Styles, by: int) -> Styles:
    """The runs moved `by` code points (negative: left); parts before 0 are cut off."""
    out = []
    for run in styles:
        lo, hi = max(0, run.start + by), run.end + by
        if lo < hi:
            out.append(replace(run, start=lo, end=hi))
    return tuple(out)


# The styles a flat run may keep, strongest first, as (run style, flat style): a code block is code.
_FLAT_STYLES = (
    (Style.LINK, Style.LINK),
    (Style.CODE, Style.CODE),
    (Style.PRE, Style.CODE),
    (Style.BOLD, Style.BOLD),
    (Style.ITALIC, Style.ITALIC),
)


def flat_runs(text: str, styles: Styles) -> Styles:
    """The runs flattened, as a reply shows a body: each piece keeps only its strongest style.

    A link wins (it stays clickable), then code, bold, italic; the other styles are dropped,
    and no two runs overlap.
    """
    runs = nest(styles, len(text))
    cuts = sorted({0, len(text), *(r.start for r in runs), *(r.end for r in runs)})
    out: list[TextStyle] = []
    for start, end in pairwise(cuts):
        covering = [r for r in runs if r.start <= start and end <= r.end]
        for style, flat_style in _FLAT_STYLES:
            found = next((r for r in covering if r.style is style), None)
            if found is not None and (style is not Style.LINK or _web(found.url)):
                run = TextStyle(flat_style, start, end, found.url if found.url else None)
                if out and _continues(out[-1], run):
                    run = replace(out.pop(), end=end)
                out.append(run)
                break
    return tuple(out)


def _web(url: str | None) -> bool:
    return url is not None and url.lower().startswith(("https://", "http://"))
