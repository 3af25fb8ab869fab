"""Values derived from an object, kept while that very object is: render once, reuse by identity."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class IdentityCache(Generic[V]):
    """The least recently used `size` values, keyed by an object's identity and a plain key."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[tuple[int, Hashable], tuple[object, V]] = OrderedDict()

    def get(self, source: object, key: Hashable = None) -> V | None:
        """The value kept for this very `source` object (and `key`), if any."""
        found = self._items.get((id(source), key))
        # The source is kept beside its value, so while it is here no other object has its id.
        if found is None or found[0] is not source:
            return None
        self._items.move_to_end((id(source), key))
        return found[1]

    def put(self, source: object, value: V, key: Hashable = None) -> V:
        """Keep `value` for `source` (and `key`); returns it."""
        entry = (id(source), key)
        self._items[entry] = (source, value)
        self._items.move_to_end(entry)
        while len(self._items) > self._size:
            self._items.popitem(last=False)
        return value
