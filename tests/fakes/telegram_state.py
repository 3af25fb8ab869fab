"""What the fake Bot API keeps (chats, users, admins, messages, faults) and renders as JSON."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

from tests.fakes.telegram_files import FakeFiles
from tests.fakes.telegram_wire import JSON


@dataclass
class SentMessage:
    """A message in a chat as the fake keeps it."""

    chat_id: int
    message_id: int
    text: str
    date: int
    raw: str = ""
    parse_mode: str | None = None
    entities: list[JSON] = field(default_factory=list)
    reply_markup: JSON | None = None
    from_bot: bool = True
    kind: str = "text"
    deleted: bool = False
    edits: list[str] = field(default_factory=list)
    options: JSON = field(default_factory=dict)
    # The photo's file id, for photo messages.
    file_id: str | None = None

    @property
    def buttons(self) -> list[list[JSON]]:
        """The inline keyboard rows, if any."""
        return list((self.reply_markup or {}).get("inline_keyboard", []))


@dataclass
class Fault:
    """An injected failure for one method (optionally one chat), `times` times or forever."""

    method: str
    kind: str
    chat_id: int | None = None
    times: int | None = 1
    retry_after: int = 3
    migrate_to: int | None = None
    description: str | None = None
    status: int = 500
    # Let this many matching requests through before the fault starts firing.
    after: int = 0
    hits: int = 0
    passed: int = 0

    def matches(self, method: str, chat_id: int | None) -> bool:
        """Whether this fault applies to the request."""
        if self.method not in (method, "*"):
            return False
        if self.times is not None and self.hits >= self.times:
            return False
        return self.chat_id is None or self.chat_id == chat_id


class TelegramState:
    """The fake's state, its chats and users, change notification, and message/member JSON."""

    def __init__(
        self,
        token: str = "123456:TEST-token",
        *,
        bot_id: int = 777000,
        bot_username: str = "herald_test_bot",
        enforce_limits: bool = False,
        global_per_second: int = 30,
        latency: float = 0.0,
        jitter: float = 0.0,
    ) -> None:
        self.token = token
        self.bot_id = bot_id
        self.bot: JSON = {
            "id": bot_id, "is_bot": True, "first_name": "Herald", "username": bot_username
        }
        self.enforce_limits = enforce_limits
        self.global_per_second = global_per_second
        self.latency = latency
        # Up to this much more, at random per request: requests overtake each other on the way.
        self.jitter = jitter
        self.root = ""
        self.messages: dict[int, dict[int, SentMessage]] = defaultdict(dict)
        self.log: list[tuple[str, JSON]] = []
        self.chats: dict[int, JSON] = {}
        self.admins: dict[int, set[int]] = defaultdict(set)
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.webhook: JSON | None = None
        self.files = FakeFiles()
        self.answered_callbacks: list[JSON] = []
        self.faults: list[Fault] = []
        self.blocked: set[int] = set()
        self.migrated: dict[int, int] = {}
        self.rate_limited: int = 0
        # When each message the limits let through arrived (time.monotonic), with limits on.
        self.accepted_at: list[float] = []
        # getUpdates requests that began while another was still open: Telegram answers
        # the older one with 409 Conflict ("terminated by other getUpdates request").
        self.poll_conflicts: int = 0
        self._polls: dict[int, web.Request] = {}
        # Messages the bot has sent so far, everywhere (cheap to watch in benchmarks).
        self.sent_count: int = 0
        self._ids: dict[int, itertools.count[int]] = defaultdict(lambda: itertools.count(1))
        self._update_ids = itertools.count(1)
        self._updates: list[JSON] = []
        self._cursor: dict[int, int] = defaultdict(int)
        self._creators: dict[int, int] = {}
        self._changed = asyncio.Event()
        self._closing = asyncio.Event()
        self._global_sends: deque[float] = deque()
        self._chat_sends: dict[int, deque[float]] = defaultdict(deque)
        self._runner: web.AppRunner | None = None

    # -- chats, users, admins ----------------------------------------------------------------

    def add_chat(
        self, chat_id: int, kind: str | None = None, *, title: str | None = None,
        username: str | None = None,
    ) -> JSON:
        """Declare a chat (kind private/group/supergroup/channel; guessed from the id)."""
        if kind is None:
            kind = "private" if chat_id > 0 else "supergroup" if chat_id < -10**12 else "group"
        chat: JSON = {"id": chat_id, "type": kind}
        if kind == "private":
            chat["first_name"] = title or f"User{chat_id}"
        else:
            chat["title"] = title or f"Chat {chat_id}"
        if username:
            chat["username"] = username
        self.chats[chat_id] = chat
        return chat

    def add_channel(
        self, chat_id: int, username: str, *, title: str | None = None, bot_admin: bool = True
    ) -> JSON:
        """A public channel known as `@username`; the bot is one of its admins unless told not."""
        chat = self.add_chat(chat_id, "channel", title=title, username=username)
        if bot_admin:
            self.admins[chat_id].add(self.bot_id)
        return chat

    def chat(self, chat_id: int) -> JSON:
        """The chat's JSON, declaring it if unknown."""
        return self.chats.get(chat_id) or self.add_chat(chat_id)

    def set_admins(self, chat_id: int, *user_ids: int) -> None:
        """Make these users the chat's administrators (the first is the creator)."""
        self.admins[chat_id] = set(user_ids)
        if user_ids:
            self._creators[chat_id] = user_ids[0]

    @staticmethod
    def user(user_id: int, language_code: str | None = "en", name: str | None = None) -> JSON:
        """A user's JSON."""
        user: JSON = {"id": user_id, "is_bot": False, "first_name": name or f"User{user_id}"}
        if language_code:
            user["language_code"] = language_code
        return user

    def block(self, chat_id: int) -> None:
        """The user blocks the bot: every message to the chat gets 403 from now on."""
        self.blocked.add(chat_id)

    # -- changes -----------------------------------------------------------------------------

    async def wait_until(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        """Wait until `predicate()` holds (checked on every change), or raise TimeoutError."""
        async with asyncio.timeout(within):
            while not predicate():
                await self._changed.wait()

    def _notify(self) -> None:
        # Wake every waiter once; each re-checks its condition and waits on the fresh event.
        woken, self._changed = self._changed, asyncio.Event()
        woken.set()

    # -- JSON --------------------------------------------------------------------------------

    def _message_json(self, message: SentMessage) -> JSON:
        data: JSON = {"message_id": message.message_id, "date": message.date,
                      "chat": self.chat(message.chat_id)}
        if message.from_bot:
            data["from"] = self.bot
        else:
            data["from"] = self.user(message.chat_id)
        key = "caption" if message.kind == "photo" else "text"
        data[key] = message.text
        if message.entities:
            data[f"{key}_entities" if key == "caption" else "entities"] = message.entities
        if message.kind == "photo":
            stored = self.files.files.get(message.file_id or "")
            data["photo"] = self.files.photo_sizes(stored) if stored else [
                {"file_id": "ph", "file_unique_id": "phu", "width": 1, "height": 1}]
        if message.reply_markup:
            data["reply_markup"] = message.reply_markup
        if message.edits:
            data["edit_date"] = int(time.time())
        return data

    @staticmethod
    def _member_json(user: JSON, status: str) -> JSON:
        member: JSON = {"user": user, "status": status}
        if status == "administrator":
            member.update({flag: True for flag in (
                "can_be_edited", "can_manage_chat", "can_delete_messages", "can_manage_video_chats",
                "can_restrict_members", "can_promote_members", "can_change_info",
                "can_invite_users", "can_post_stories", "can_edit_stories", "can_delete_stories",
                "can_post_messages", "can_edit_messages")})
            member["is_anonymous"] = False
        elif status == "creator":
            member["is_anonymous"] = False
        elif status == "kicked":
            member["until_date"] = 0
        elif status == "restricted":
            member.update({"is_member": True, "until_date": 0, **{flag: False for flag in (
                "can_send_messages", "can_send_audios", "can_send_documents", "can_send_photos",
                "can_send_videos", "can_send_video_notes", "can_send_voice_notes",
                "can_send_polls", "can_send_other_messages", "can_add_web_page_previews",
                "can_change_info", "can_invite_users", "can_pin_messages", "can_manage_topics")}})
        return member
