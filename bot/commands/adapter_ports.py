"""What the core may ask the adapter mid-command: the photo a command carries, a channel's name.

The adapter hands these in with the command; the services call them only when they need them
(after the admin check), so a command is still one call into the core.
"""

from __future__ import annotations

from typing import Protocol

from bot.domain import ChatRef
from bot.formatting import Photo


class PhotoSource(Protocol):
    """A photo the command carries, fetched only when a service needs it."""

    async def fetch(self) -> Photo:
        """The photo's bytes; bot.photos.PhotoError when it cannot be had (too large, lost)."""
        ...


class ChannelLookupFailed(Exception):
    """The platform could not answer a channel lookup (an outage); the adapter logged why."""


class ChannelDirectory(Protocol):
    """Finds the group or channel a name (`@name`, a link, an id) stands for on the platform."""

    async def find(self, name: str, *, to_post: bool) -> ChatRef | None:
        """The chat `name` names, if the bot can post there (`to_post`) or at least see it.

        None when the name is unknown or the bot has no place there; ChannelLookupFailed when
        the platform could not be asked.
        """
        ...
