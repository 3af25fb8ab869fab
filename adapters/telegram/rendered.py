"""Replies rendered once per Reply object: the core hands one page's reply to many chats."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from adapters.telegram.render import keyboard, render_reply
from bot.identity_cache import IdentityCache
from bot.replies import Reply


class RenderedReplies:
    """The HTML parts and keyboard of recently sent replies, by identity."""

    def __init__(self, size: int = 64) -> None:
        self._kept: IdentityCache[tuple[tuple[str, ...], InlineKeyboardMarkup | None]] = (
            IdentityCache(size)
        )

    def render(self, reply: Reply) -> tuple[tuple[str, ...], InlineKeyboardMarkup | None]:
        """The reply's HTML parts and its keyboard (shared: both are read-only)."""
        found = self._kept.get(reply)
        if found is not None:
            return found
        return self._kept.put(reply, (tuple(render_reply(reply)), keyboard(reply)))
