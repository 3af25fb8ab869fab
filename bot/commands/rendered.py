"""Listing replies reused while the cached page they were built from is the same object."""

from __future__ import annotations

from collections import OrderedDict

from bot.replies import Reply


class RenderedPages:
    """The reply built for a listing page in a language; a page loaded anew is rendered anew."""

    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._items: OrderedDict[tuple[str, int, str], tuple[object, Reply]] = OrderedDict()

    def get(self, listing: str, page: object, language: str) -> Reply | None:
        """The reply built for this very page object in `language`, if any."""
        found = self._items.get((listing, id(page), language))
        # The page is kept beside its reply, so while it is here no other object has its id.
        if found is None or found[0] is not page:
            return None
        return found[1]

    def put(self, listing: str, page: object, language: str, reply: Reply) -> Reply:
        """Remember the reply built for `page`; returns it."""
        key = (listing, id(page), language)
        self._items[key] = (page, reply)
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)
        return reply
