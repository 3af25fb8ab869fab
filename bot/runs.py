"""Operations on style runs (bot.formatting): proper nesting, clipping to a slice of the text."""

from __future__ import annotations

import heapq
from dataclasses import replace
from itertools import pairwise

from bot.formatting import Span, Style, Styles, TextStyle

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
    result, merged = _nest_once(styles, length)
    # Merging touching runs can make a new tie (`**a**` over two code runs that became one);
    # nesting again settles it. Without a merge one pass is settled already.
    for _ in range(8):
        if not merged:
            break
        result, merged = _nest_once(result, length)
    return result


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


def clip(styles: Styles, start: int, end: int) -> Styles:
    """The runs over `text[start:end]`, in that slice's coordinates; empty ones dropped."""
    out = []
    for run in styles:
        lo, hi = max(start, run.start), min(end, run.end)
        if lo < hi:
            out.append(TextStyle(run.style, lo - start, hi - start, run.url, run.language))
    return tuple(out)


def shift(styles: Styles, by: int) -> Styles:
    """The runs moved `by` code points (negative: left); parts before 0 are cut off."""
    out = []
    for run in styles:
        lo, hi = max(0, run.start + by), run.end + by
        if lo < hi:
            out.append(replace(run, start=lo, end=hi))
    return tuple(out)


# The styles a span shows, strongest first, as (run style, span style): a code block is code.
_SPAN_STYLES = (
    (Style.LINK, Style.LINK),
    (Style.CODE, Style.CODE),
    (Style.PRE, Style.CODE),
    (Style.BOLD, Style.BOLD),
    (Style.ITALIC, Style.ITALIC),
)


def flat_spans(text: str, styles: Styles) -> list[Span]:
    """Text with runs as reply spans, which cannot nest: each piece keeps its strongest style.

    A link wins (it stays clickable), then code, bold, italic; the other styles are dropped.
    """
    runs = nest(styles, len(text))
    cuts = sorted({0, len(text), *(r.start for r in runs), *(r.end for r in runs)})
    spans: list[Span] = []
    for start, end in pairwise(cuts):
        covering = [r for r in runs if r.start <= start and end <= r.end]
        span = Span(text[start:end])
        for style, span_style in _SPAN_STYLES:
            found = next((r for r in covering if r.style is style), None)
            if found is not None and (style is not Style.LINK or _web(found.url)):
                span = Span(text[start:end], span_style, found.url if found.url else None)
                break
        if spans and (spans[-1].style, spans[-1].url) == (span.style, span.url):
            span = Span(spans.pop().text + span.text, span.style, span.url)
        spans.append(span)
    return spans


def _web(url: str | None) -> bool:
    return url is not None and url.lower().startswith(("https://", "http://"))
