"""What an adapter hands the core: one command from one user in one chat."""

from __future__ import annotations

from dataclasses import dataclass

from bot.commands.adapter_ports import ChannelDirectory, PhotoSource
from bot.domain import ChatKind, ChatRef
from bot.formatting import Styles


@dataclass(frozen=True, slots=True)
class Command:
    """One incoming command, already stripped of platform details."""

    platform: str
    chat_id: str
    chat_kind: ChatKind
    user_id: str
    text: str
    chat_title: str | None = None
    user_name: str | None = None
    # The adapter says whether the user administers this chat (group admin, Manage Channels).
    is_chat_admin: bool = False
    # The user's client language (Telegram's language_code, Discord's locale), a hint only.
    language_hint: str | None = None
    # Text of the message this command replies to (Telegram: reply `/post` to a message).
    reply_to_text: str | None = None
    # Style runs over `text` (or over `reply_to_text` when the command replies to a message).
    styles: Styles = ()
    reply_to_styles: Styles = ()
    # The photo sent with the command, or carried by the message it replies to: fetched by
    # the service that posts it, so a refused command downloads nothing.
    photo: PhotoSource | None = None
    # True when the command came from pressing a button.
    from_button: bool = False
    # Where `/target add @channel` looks the channel up (None: this chat offers no lookup).
    channels: ChannelDirectory | None = None
    # When the adapter received it (time.monotonic()), if it may wait for its turn before it
    # runs: the command limiter counts commands as they arrive, not as they come up.
    received_at: float | None = None

    @property
    def chat(self) -> ChatRef:
        """The chat this command came from."""
        return ChatRef(self.platform, self.chat_id, self.chat_kind, self.chat_title)

    @property
    def actor(self) -> str:
        """`platform:user_id`, the form HERALD_ADMINS uses."""
        return f"{self.platform}:{self.user_id}"
