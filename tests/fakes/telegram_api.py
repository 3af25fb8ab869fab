"""A fake Telegram Bot API server on loopback that the real python-telegram-bot talks to."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from types import TracebackType
from typing import Any

from aiohttp import web

from tests.fakes.telegram_state import Fault, SentMessage
from tests.fakes.telegram_updates import TelegramUpdates
from tests.fakes.telegram_wire import (
    BLOCKED,
    CAPTION_LIMIT,
    DELETE_WINDOW,
    JSON,
    MESSAGING,
    TEXT_LIMIT,
    ApiError,
    parse_text,
    read_params,
)

# Tests and bench import these from here; they are defined next to the state they describe.
__all__ = ["FakeTelegram", "Fault", "SentMessage"]


class FakeTelegram(TelegramUpdates):
    """The fake server: lifecycle, fault injection, observation, the HTTP app and API methods."""


    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self, port: int = 0) -> FakeTelegram:
        """Listen on loopback (a random port unless given); `root` is the API root afterwards."""
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/file/bot{token}/{path:.*}", self._file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        port = self._runner.addresses[0][1]
        self.root = f"http://127.0.0.1:{port}"
        return self

    async def close(self) -> None:
        """Stop serving; hanging requests and long polls are released first."""
        self._closing.set()
        self._notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        """What to pass to `ApplicationBuilder().base_url()`."""
        return self.root + "/bot"

    @property
    def base_file_url(self) -> str:
        """What to pass to `ApplicationBuilder().base_file_url()`."""
        return self.root + "/file/bot"

    # -- faults ------------------------------------------------------------------------------

    def fail(self, method: str, kind: str, *, chat_id: int | None = None, times: int | None = 1,
             **options: Any) -> Fault:
        """Inject a fault: retry_after, forbidden, migrate, bad_request, server_error or hang."""
        fault = Fault(method, kind, chat_id, times, **options)
        self.faults.append(fault)
        return fault

    def _check_fault(self, method: str, chat_id: int | None) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method, chat_id):
                if fault.passed < fault.after:
                    fault.passed += 1
                    continue
                fault.hits += 1
                return fault
        return None

    # -- observation -------------------------------------------------------------------------

    def sent_to(self, chat_id: int, *, include_deleted: bool = False) -> list[SentMessage]:
        """The bot's messages in a chat, oldest first."""
        return [m for m in self.messages[chat_id].values()
                if m.from_bot and (include_deleted or not m.deleted)]

    def all_sent(self) -> list[SentMessage]:
        """Every message the bot sent anywhere (deleted included)."""
        return [m for chat in self.messages.values() for m in chat.values() if m.from_bot]

    def calls(self, method: str) -> list[JSON]:
        """Parameters of every request to `method`, in order."""
        return [params for name, params in self.log if name == method]

    async def next_message(self, chat_id: int, within: float = 5.0) -> SentMessage:
        """The bot's next message to the chat not yet returned by this method."""

        def ready() -> bool:
            return len(self.sent_to(chat_id, include_deleted=True)) > self._cursor[chat_id]

        await self.wait_until(ready, within)
        message = self.sent_to(chat_id, include_deleted=True)[self._cursor[chat_id]]
        self._cursor[chat_id] += 1
        return message

    # -- HTTP --------------------------------------------------------------------------------

    async def _file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        data = self.files.download(request.match_info["path"])
        self._notify()
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="application/octet-stream")

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return _envelope_error(ApiError(401, "Unauthorized"))
        try:
            params = await read_params(request)
        except ValueError as exc:
            return _envelope_error(ApiError(400, f"Bad Request: {exc}"))
        self.log.append((method, params))
        self._notify()
        if method != "getUpdates":
            return await self._answer(method, params)
        # A poll whose client went away still waits here (aiohttp does not cancel handlers),
        # so only polls on a live connection count as a second poller.
        if any(_connected(other) for other in self._polls.values()):
            self.poll_conflicts += 1
        self._polls[id(request)] = request
        try:
            return await self._answer(method, params)
        finally:
            del self._polls[id(request)]

    async def _answer(self, method: str, params: JSON) -> web.Response:
        try:
            if method != "getUpdates" and (self.latency or self.jitter):
                await asyncio.sleep(self.latency + random.uniform(0, self.jitter))
            chat_id = self._resolve_chat(params.get("chat_id")) if "chat_id" in params else None
            fault = self._check_fault(method, chat_id)
            if fault is not None:
                await self._raise_fault(fault)
            handler = getattr(self, f"_api_{method}", None)
            if handler is None:
                raise ApiError(404, "Not Found")
            if method in _NO_CHAT:
                result = await handler(params)
            elif chat_id is None:
                raise ApiError(400, "Bad Request: chat_id is empty")
            else:
                self._check_chat(method, chat_id)
                result = await handler(params, chat_id)
        except ApiError as exc:
            return _envelope_error(exc)
        self._notify()
        return web.json_response({"ok": True, "result": result})

    async def _raise_fault(self, fault: Fault) -> None:
        if fault.kind == "hang":
            await self._closing.wait()
            raise ApiError(502, "Bad Gateway")
        errors = {
            "retry_after": ApiError(429, f"Too Many Requests: retry after {fault.retry_after}",
                                    {"retry_after": fault.retry_after}),
            "forbidden": ApiError(403, fault.description or BLOCKED),
            "migrate": ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                                {"migrate_to_chat_id": fault.migrate_to}),
            "bad_request": ApiError(400, fault.description or "Bad Request: chat not found"),
            "server_error": ApiError(fault.status, fault.description or "Internal Server Error"),
        }
        raise errors[fault.kind]

    def _resolve_chat(self, raw: Any) -> int:
        if isinstance(raw, str) and raw.startswith("@"):
            for chat in self.chats.values():
                if chat.get("username") == raw[1:]:
                    return int(chat["id"])
            raise ApiError(400, "Bad Request: chat not found")
        try:
            return int(raw)
        except (TypeError, ValueError):
            raise ApiError(400, "Bad Request: chat not found") from None

    def _check_chat(self, method: str, chat_id: int) -> None:
        if chat_id in self.migrated:
            raise ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                           {"migrate_to_chat_id": self.migrated[chat_id]})
        if chat_id in self.blocked and method in MESSAGING:
            raise ApiError(403, BLOCKED)
        if self.enforce_limits and method in MESSAGING:
            self._check_rate(chat_id)

    def _check_rate(self, chat_id: int) -> None:
        now = time.monotonic()
        kind = self.chat(chat_id)["type"]
        window, allowed = (1.0, 1) if kind == "private" else (60.0, 20)
        # A little slack for timer jitter on the sender's side.
        window -= 0.02
        chat_sends = self._chat_sends[chat_id]
        while chat_sends and now - chat_sends[0] >= window:
            chat_sends.popleft()
        # Telegram's broadcast limit over any sliding second, with no slack: the 31st
        # message within one second of the first of 30 is refused.
        while self._global_sends and now - self._global_sends[0] >= 1.0:
            self._global_sends.popleft()
        if len(self._global_sends) >= self.global_per_second:
            self.rate_limited += 1
            raise ApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        if len(chat_sends) >= allowed:
            self.rate_limited += 1
            wait = max(1, int(window - (now - chat_sends[0])) + 1)
            raise ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})
        chat_sends.append(now)
        self._global_sends.append(now)
        self.accepted_at.append(now)

    # -- API methods -------------------------------------------------------------------------

    async def _api_getMe(self, params: JSON) -> JSON:
        return {**self.bot, "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False}

    async def _api_getUpdates(self, params: JSON) -> list[JSON]:
        offset = int(params.get("offset") or 0)
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)

        def pending() -> list[JSON]:
            return [u for u in self._updates if u["update_id"] >= offset][:limit]

        if not pending() and timeout > 0 and not self._closing.is_set():
            with contextlib.suppress(TimeoutError):
                await self.wait_until(lambda: bool(pending()) or self._closing.is_set(), timeout)
        return pending()

    async def _api_deleteWebhook(self, params: JSON) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _api_setWebhook(self, params: JSON) -> bool:
        self.webhook = dict(params)
        return True

    async def _api_getWebhookInfo(self, params: JSON) -> JSON:
        return {"url": (self.webhook or {}).get("url", ""), "has_custom_certificate": False,
                "pending_update_count": len(self._updates)}

    async def _api_setMyCommands(self, params: JSON) -> bool:
        commands = params.get("commands") or []
        for command in commands:
            name, desc = command.get("command", ""), command.get("description", "")
            if not (1 <= len(name) <= 32 and name.replace("_", "a").isalnum() and name.islower()):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(desc) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[_scope_key(params)] = list(commands)
        return True

    async def _api_getMyCommands(self, params: JSON) -> list[JSON]:
        return self.commands.get(_scope_key(params), [])

    async def _api_deleteMyCommands(self, params: JSON) -> bool:
        self.commands.pop(_scope_key(params), None)
        return True

    async def _api_answerCallbackQuery(self, params: JSON) -> bool:
        self.answered_callbacks.append(params)
        return True

    async def _api_sendMessage(self, params: JSON, chat_id: int) -> JSON:
        text, entities = parse_text(params, "text", TEXT_LIMIT, "message is too long")
        message = self._store(chat_id, params, text, entities, params.get("text", ""))
        return self._message_json(message)

    async def _api_sendPhoto(self, params: JSON, chat_id: int) -> JSON:
        if not params.get("photo"):
            raise ApiError(400, "Bad Request: there is no photo in the request")
        text, entities = parse_text(
            params, "caption", CAPTION_LIMIT, "message caption is too long", allow_empty=True
        )
        stored = self.files.upload(params["photo"])
        params = {k: v for k, v in params.items() if k != "photo"}
        message = self._store(chat_id, params, text, entities, params.get("caption", ""))
        message.kind, message.file_id = "photo", stored.file_id
        return self._message_json(message)

    async def _api_editMessageCaption(self, params: JSON, chat_id: int) -> JSON:
        message = self._find(chat_id, params, "message to edit not found")
        if message.kind != "photo":
            raise ApiError(400, "Bad Request: there is no caption in the message to edit")
        text, entities = parse_text(
            params, "caption", CAPTION_LIMIT, "message caption is too long", allow_empty=True
        )
        if text == message.text and entities == message.entities:
            raise ApiError(400, "Bad Request: message is not modified: specified new message "
                           "content and reply markup are exactly the same as a current content "
                           "and reply markup of the message")
        message.edits.append(message.text)
        message.text, message.entities, message.raw = text, entities, params.get("caption", "")
        return self._message_json(message)

    async def _api_editMessageMedia(self, params: JSON, chat_id: int) -> JSON:
        message = self._find(chat_id, params, "message to edit not found")
        media = params.get("media")
        if not isinstance(media, dict) or media.get("type") != "photo":
            raise ApiError(400, "Bad Request: can't parse InputMedia: media not found")
        if message.kind != "photo":
            raise ApiError(400, "Bad Request: there is no media in the message to edit")
        source = media.get("media")
        if isinstance(source, str) and source.startswith("attach://"):
            source = params.get(source.removeprefix("attach://"))
        text, entities = parse_text(
            media, "caption", CAPTION_LIMIT, "message caption is too long", allow_empty=True
        )
        stored = self.files.upload(source)
        markup = params.get("reply_markup")
        if (stored.file_id, text, entities, markup) == (
            message.file_id, message.text, message.entities, message.reply_markup
        ):
            raise ApiError(400, "Bad Request: message is not modified: specified new message "
                           "content and reply markup are exactly the same as a current content "
                           "and reply markup of the message")
        message.edits.append(message.text)
        message.text, message.entities, message.raw = text, entities, media.get("caption", "")
        message.file_id, message.reply_markup = stored.file_id, markup
        return self._message_json(message)

    async def _api_getFile(self, params: JSON) -> JSON:
        return self.files.get_file(str(params.get("file_id") or ""))

    async def _api_editMessageText(self, params: JSON, chat_id: int) -> JSON:
        message = self._find(chat_id, params, "message to edit not found")
        if message.kind == "photo":
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        text, entities = parse_text(params, "text", TEXT_LIMIT, "message is too long")
        markup = params.get("reply_markup")
        if text == message.text and entities == message.entities and markup == message.reply_markup:
            raise ApiError(400, "Bad Request: message is not modified: specified new message "
                           "content and reply markup are exactly the same as a current content "
                           "and reply markup of the message")
        message.edits.append(message.text)
        message.text, message.entities, message.raw = text, entities, params.get("text", "")
        message.parse_mode, message.reply_markup = params.get("parse_mode"), markup
        return self._message_json(message)

    async def _api_editMessageReplyMarkup(self, params: JSON, chat_id: int) -> JSON:
        message = self._find(chat_id, params, "message to edit not found")
        if params.get("reply_markup") == message.reply_markup:
            raise ApiError(400, "Bad Request: message is not modified")
        message.reply_markup = params.get("reply_markup")
        return self._message_json(message)

    async def _api_deleteMessage(self, params: JSON, chat_id: int) -> bool:
        message = self._find(chat_id, params, "message to delete not found")
        if time.time() - message.date > DELETE_WINDOW:
            raise ApiError(400, "Bad Request: message can't be deleted for everyone")
        message.deleted = True
        return True

    async def _api_getChat(self, params: JSON, chat_id: int) -> JSON:
        return {**self.chat(chat_id), "accent_color_id": 0, "max_reaction_count": 11,
                "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False,
                                        "unique_gifts": False, "premium_subscription": False,
                                        "gifts_from_channels": False}}

    async def _api_getChatAdministrators(self, params: JSON, chat_id: int) -> list[JSON]:
        return [self._member_json(self.user(uid), self._status(chat_id, uid))
                for uid in sorted(self.admins[chat_id])]

    async def _api_getChatMember(self, params: JSON, chat_id: int) -> JSON:
        user_id = int(params["user_id"])
        user = self.bot if user_id == self.bot["id"] else self.user(user_id)
        return self._member_json(user, self._status(chat_id, user_id))

    def _status(self, chat_id: int, user_id: int) -> str:
        if user_id in self.admins[chat_id]:
            return "creator" if self._creators.get(chat_id) == user_id else "administrator"
        return "member"

    # -- helpers -----------------------------------------------------------------------------

    def _find(self, chat_id: int, params: JSON, missing: str) -> SentMessage:
        message = self.messages[chat_id].get(int(params.get("message_id") or 0))
        if message is None or message.deleted:
            raise ApiError(400, f"Bad Request: {missing}")
        return message

    def _store(self, chat_id: int, params: JSON, text: str, entities: list[JSON], raw: str
               ) -> SentMessage:
        message_id = next(self._ids[chat_id])
        options = {k: v for k, v in params.items()
                   if k not in {"chat_id", "text", "caption", "parse_mode", "reply_markup"}}
        message = SentMessage(chat_id, message_id, text, int(time.time()), raw=raw,
                              parse_mode=params.get("parse_mode"), entities=entities,
                              reply_markup=params.get("reply_markup"), options=options)
        self.messages[chat_id][message_id] = message
        self.sent_count += 1
        return message

    def age_message(self, chat_id: int, message_id: int, seconds: float) -> None:
        """Pretend a message was sent `seconds` earlier (for the 48-hour delete rule)."""
        self.messages[chat_id][message_id].date -= int(seconds)


_NO_CHAT = {"getMe", "getUpdates", "deleteWebhook", "setWebhook", "getWebhookInfo",
            "setMyCommands", "getMyCommands", "deleteMyCommands", "answerCallbackQuery",
            "getFile"}


def _scope_key(params: JSON) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")


def _connected(request: web.Request) -> bool:
    transport = request.transport
    return transport is not None and not transport.is_closing()


def _envelope_error(error: ApiError) -> web.Response:
    body: JSON = {"ok": False, "error_code": error.code, "description": error.description}
    if error.parameters:
        body["parameters"] = error.parameters
    return web.json_response(body, status=error.code)
