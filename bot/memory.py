"""Garbage-collector settings for a long-running Herald process."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

GC_YOUNG_THRESHOLD = 50_000


@contextlib.contextmanager
def settled_memory() -> Iterator[None]:
    """While Herald runs: what it built stays out of collections; young objects collect rarely."""
    # Every collection walks the objects it tracks: without freeze() each full one walks the
    # ~150,000 built at startup (libraries, services), and the default young threshold (700)
    # runs a collection every few commands under load. 50,000 bounds the uncollected cyclic
    # garbage to a few megabytes. Undone on the way out (tests run Herald in-process).
    threshold = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()
