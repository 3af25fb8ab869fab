"""Replies rendered once per Reply object: the core hands one page's reply to many chats."""

from __future__ import annotations

from collections import OrderedDict

from telegram import InlineKeyboardMarkup

from adapters.telegram.render import keyboard, render_reply
from bot.replies import Reply


class RenderedReplies:
    """The HTML parts and keyboard of recently sent replies, by identity."""

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._items: OrderedDict[
            int, tuple[Reply, tuple[str, ...], InlineKeyboardMarkup | None]
        ] = OrderedDict()

    def render(self, reply: Reply) -> tuple[tuple[str, ...], InlineKeyboardMarkup | None]:
        """The reply's HTML parts and its keyboard (shared: both are read-only)."""
        key = id(reply)
        found = self._items.get(key)
        # The reply is kept beside its rendering, so while it is here no other object has its id.
        if found is not None and found[0] is reply:
            return found[1], found[2]
        parts, markup = tuple(render_reply(reply)), keyboard(reply)
        self._items[key] = (reply, parts, markup)
        while len(self._items) > self._size:
            self._items.popitem(last=False)
        return parts, markup
