"""The Telegram adapter: python-telegram-bot running inside Herald's own event loop."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlparse

from aiohttp import web
from telegram import BotCommand
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application, ApplicationBuilder

from adapters.telegram.config import TelegramConfig
from adapters.telegram.handlers import Conversation
from adapters.telegram.ordering import ChatOrderedProcessor
from adapters.telegram.platform import TelegramPlatform
from adapters.telegram.quiet import quiet_updater_logs
from adapters.telegram.redact import Redaction, scrub
from adapters.telegram.transport import AiohttpRequest
from adapters.telegram.webhook import WebhookServer
from bot.ports import (
    AdapterState,
    Core,
    FileIds,
    OutboundMessage,
    PlatformLimits,
    Target,
    Transient,
)
from bot.readiness import Connection

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "channel_post", "callback_query", "my_chat_member"]
MENU_LANGUAGES = ("en", "ru", "ko")
_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
_STATE_KEY = "telegram.commands"


class TelegramAdapter:
    """Receives Telegram commands for the core and delivers messages for the delivery engine."""

    def __init__(
        self,
        core: Core,
        config: TelegramConfig,
        *,
        state: AdapterState,
        file_ids: FileIds | None = None,
    ) -> None:
        self._core = core
        # Remembers the hash of the published command menus, so a restart publishes no menu.
        self._state = state
        self._config = config
        # Installed before PTB is built: the Bot logs its URLs, token included, at DEBUG.
        self._redaction = Redaction(config.token)
        self._redaction.install()
        quiet_updater_logs()
        self._requests = (
            AiohttpRequest(connection_pool_size=config.connection_pool_size),
            AiohttpRequest(connection_pool_size=2),
        )
        self.application: Application[Any, Any, Any, Any, Any, Any] = (
            ApplicationBuilder()
            .token(config.token)
            .base_url(config.base_url)
            .base_file_url(config.base_file_url)
            .request(self._requests[0])
            .get_updates_request(self._requests[1])
            .concurrent_updates(ChatOrderedProcessor())
            .build()
        )
        # Photos' file ids: learned from the photos admins send and from uploads, kept by content.
        self._conversation = Conversation(core, file_ids=file_ids)
        self._conversation.register(self.application)
        self._platform = TelegramPlatform(self.application.bot, config, file_ids=file_ids)
        self._webhook: WebhookServer | None = None
        self._webhook_secret = ""
        if config.webhook_url:
            # Made now, not at connect: a shared route is installed before the server starts.
            secret = config.webhook_secret or secrets.token_urlsafe(32)
            if not config.webhook_secret:
                log.info("telegram: no webhook secret configured; using a random one")
            self._webhook = WebhookServer(
                self.application,
                host=config.webhook_host,
                port=config.webhook_port,
                path=urlparse(config.webhook_url).path,
                secret=secret,
            )
            self._webhook_secret = secret
        self._task: asyncio.Task[None] | None = None
        self._first_attempt = asyncio.Event()
        self.ready = asyncio.Event()
        self._token_rejected = False

    # -- Platform ----------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """Always "telegram"."""
        return "telegram"

    @property
    def limits(self) -> PlatformLimits:
        """Telegram's limits with the configured broadcast rate."""
        return self._platform.limits

    async def send(self, target: Target, message: OutboundMessage, *, key: str) -> list[str]:
        """Send a message in parts; see TelegramPlatform.send."""
        self._require_connection()
        return await self._platform.send(target, message, key=key)

    async def edit(
        self, target: Target, message_ids: list[str], message: OutboundMessage
    ) -> list[str]:
        """Edit sent parts; see TelegramPlatform.edit."""
        self._require_connection()
        return await self._platform.edit(target, message_ids, message)

    async def delete(self, target: Target, message_ids: list[str]) -> None:
        """Delete sent parts; see TelegramPlatform.delete."""
        self._require_connection()
        await self._platform.delete(target, message_ids)

    def connection(self) -> Connection:
        """Connected, still connecting, or off for good because the Bot API rejected the token."""
        if self._token_rejected:
            return Connection.TOKEN_REJECTED
        return Connection.CONNECTED if self.ready.is_set() else Connection.CONNECTING

    def _require_connection(self) -> None:
        if not self.ready.is_set():
            raise Transient("Telegram is not connected yet")

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def webhook_port(self) -> int | None:
        """The webhook's own listener's port, in webhook mode with a listener of its own."""
        if self._webhook is None or self._config.webhook_shared:
            return None
        return self._webhook.port

    def webhook_route(self) -> Callable[[web.Application], None] | None:
        """Installs the webhook on Herald's HTTP server, when it is to share that server."""
        if self._webhook is None or not self._config.webhook_shared:
            return None
        return self._webhook.install

    async def start(self) -> None:
        """Connect (first attempt inline); if the Bot API is down, keep trying in the background."""
        self._redaction.install()  # again, in case stop() ran before a restart
        self._task = asyncio.create_task(
            self._connect_until_done(self._connect), name="telegram-connect"
        )
        await self._first_attempt.wait()

    async def start_sending(self) -> None:
        """Connect for sending only (getMe): no polling, webhook or command menu; retried too."""
        # A worker shares the token with the process that polls: a second getUpdates
        # consumer would get 409 Conflict, so this side never asks for updates.
        self._redaction.install()
        self._task = asyncio.create_task(
            self._connect_until_done(self._connect_for_sending), name="telegram-connect"
        )
        await self._first_attempt.wait()

    async def stop_receiving(self) -> None:
        """Stop long polling or the webhook; the bot still sends until stop()."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._halt()

    async def stop(self) -> None:
        """Stop receiving, close the webhook server and the HTTP sessions."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.ready.clear()
        await self._halt()
        # Application.shutdown does nothing if never initialized; the Bot closes the sessions.
        await self.application.shutdown()
        await self.application.bot.shutdown()
        self._redaction.uninstall()

    async def _connect_until_done(self, connect: Callable[[], Awaitable[None]]) -> None:
        delay = self._config.retry_initial
        attempt = 0
        try:
            while True:
                attempt += 1
                try:
                    await connect()
                except InvalidToken:
                    self._token_rejected = True
                    log.error(
                        "telegram: the Bot API at %s rejected the token; Telegram stays off "
                        "until HERALD_TELEGRAM_TOKEN is fixed",
                        self._config.api_url,
                    )
                    return
                except Exception as exc:  # anything at all: Telegram must not take Herald down
                    with contextlib.suppress(Exception):
                        await self._halt()
                    log.warning(
                        "telegram: Bot API at %s unreachable (attempt %d: %s); retrying in %.0f s",
                        self._config.api_url,
                        attempt,
                        scrub(str(exc) or type(exc).__name__, self._config.token),
                        delay,
                    )
                else:
                    return
                finally:
                    self._first_attempt.set()
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._config.retry_cap)
        finally:
            self._first_attempt.set()

    async def _connect(self) -> None:
        app = self.application
        await app.initialize()
        self._conversation.bot_username = app.bot.username
        await self._register_commands()
        await app.start()
        config = self._config
        webhook = self._webhook
        if config.webhook_url and webhook is not None:
            if config.webhook_shared:
                mode = f"webhook at {webhook.path} on HERALD_HTTP_LISTEN"
            else:
                await webhook.start()
                mode = f"webhook on its own port {webhook.port}"
            webhook.accepting = True
            await app.bot.set_webhook(
                config.webhook_url,
                secret_token=self._webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
            )
        else:
            assert app.updater is not None
            await app.updater.start_polling(
                timeout=config.poll_timeout,
                allowed_updates=ALLOWED_UPDATES,
                error_callback=self._polling_error,
            )
            mode = "long polling"
        self.ready.set()
        log.info("telegram: connected as @%s (%s)", app.bot.username, mode)

    async def _connect_for_sending(self) -> None:
        app = self.application
        await app.initialize()
        self._conversation.bot_username = app.bot.username
        self.ready.set()
        log.info("telegram: connected as @%s (sending only)", app.bot.username)

    async def _halt(self) -> None:
        """Undo a partial or full start, keeping the Application initialized."""
        app = self.application
        if self._webhook is not None:
            self._webhook.accepting = False
            if not self._config.webhook_shared:
                await self._webhook.stop()
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()

    def _polling_error(self, error: TelegramError) -> None:
        log.warning("telegram: polling failed (%s); python-telegram-bot retries", error)

    async def _register_commands(self) -> None:
        """setMyCommands in en (the default), ru and ko; admin-only commands stay off the menu."""
        menus = {lang: _menu(self._core, lang) for lang in MENU_LANGUAGES}
        bot_id = self.application.bot.id
        digest = hashlib.sha256(
            json.dumps([bot_id, {k: [c.to_dict() for c in v] for k, v in menus.items()}]).encode()
        ).hexdigest()
        try:
            if await self._state.get(_STATE_KEY) == digest:
                return
            for lang, commands in menus.items():
                code = None if lang == "en" else lang
                await self.application.bot.set_my_commands(commands, language_code=code)
            await self._state.set(_STATE_KEY, digest)
        except Exception as exc:  # the menu is a convenience; never a reason not to start
            log.warning("telegram: command menu not registered: %s", exc)


def _menu(core: Core, language: str) -> list[BotCommand]:
    commands: list[BotCommand] = []
    for info in core.commands(language):
        name = info.name.lstrip("/").lower()
        if info.admin_only or not _COMMAND_NAME.match(name):
            continue
        description = (info.description.strip() or name)[:256]
        commands.append(BotCommand(name, description))
    return commands
