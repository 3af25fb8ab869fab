"""Listing replies reused while the cached page they were built from is the same object."""

from __future__ import annotations

from bot.identity_cache import IdentityCache
from bot.replies import Reply


class RenderedPages:
    """The reply built for a listing page in a language; a page loaded anew is rendered anew."""

    def __init__(self, size: int = 512) -> None:
        self._kept: IdentityCache[Reply] = IdentityCache(size)

    def get(self, listing: str, page: object, language: str) -> Reply | None:
        """The reply built for this very page object in `language`, if any."""
        return self._kept.get(page, (listing, language))

    def put(self, listing: str, page: object, language: str, reply: Reply) -> Reply:
        """Remember the reply built for `page`; returns it."""
        return self._kept.put(page, reply, (listing, language))
