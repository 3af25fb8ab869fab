"""How does parsing a saved HTML page grow with its nesting?

Parses pages of N nested `<div>`s (and N unclosed `<div><span>`s followed by N stray end
tags) with the importer's parser, best of --runs, and prints the time and the time per
thousand elements: flat across the rows when parsing is linear (before 2026-12-05, 16,000
nested divs took 14 s and each doubling took four times as long). A timing: other load on
the machine slows it; tests/test_import_parser.py checks the same property by counting.

    .venv/bin/python bench/imports.py [--runs 3] [--sizes 16000,32000,64000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.broadcast import machine  # noqa: E402
from bot.importers import parse_post  # noqa: E402


def nested(depth: int) -> str:
    """`depth` nested divs around one line of text, inside a uCoz post."""
    inner = "<div>" * depth + "deep text" + "</div>" * depth
    return f'<div class="eTitle">Nested</div><div class="eMessage">{inner}</div>'


def unclosed(depth: int) -> str:
    """`depth` elements never closed, then `depth` end tags of elements never opened."""
    inner = "<div><span>" * depth + "deep text" + "</p></b>" * depth
    return f'<div class="eTitle">Nested</div><div class="eMessage">{inner}'


def best(page: str, runs: int) -> float:
    """The fastest of `runs` parses, in seconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        parse_post(page)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    """Print one table line per page shape and size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", default="16000,32000,64000")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    shapes: dict[str, Callable[[int], str]] = {"nested divs": nested, "unclosed": unclosed}
    lines = [("page", "elements", "characters", "seconds", "ms per 1,000")]
    for name, make in shapes.items():
        for size in sizes:
            page = make(size)
            seconds = best(page, args.runs)
            lines.append((
                name, f"{size:,}", f"{len(page):,}", f"{seconds:.3f}",
                f"{seconds * 1000 / (size / 1000):.2f}",
            ))  # fmt: skip
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    print(f"Herald import parsing benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(machine())
    print(f"load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}; best of {args.runs}")
    for line in lines:
        print(" | ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=True)))


if __name__ == "__main__":
    main()
