"""Webhook mode: a route that checks Telegram's secret token on every request.

It is served by Herald's one HTTP server (`install`, on HERALD_HTTP_LISTEN), or by a listener
of its own (`start`, on HERALD_TELEGRAM_WEBHOOK_LISTEN).
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.ext import Application

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)


class WebhookServer:
    """Receives updates by HTTP POST and queues them for the Application while it runs."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        *,
        host: str,
        port: int,
        path: str,
        secret: str,
    ) -> None:
        self._application = application
        self._host, self._port = host, port
        self._path = "/" + path.strip("/")
        self._secret = secret.encode()
        self._runner: web.AppRunner | None = None
        # Only while the Application runs: an update answered 200 and never processed is lost,
        # whereas a 503 makes Telegram deliver it again later.
        self.accepting = False

    @property
    def path(self) -> str:
        """The URL path the route answers on."""
        return self._path

    def install(self, app: web.Application) -> None:
        """Add the webhook route to another server's application (Herald's HTTP server)."""
        app.router.add_post(self._path, self._receive)

    @property
    def port(self) -> int:
        """The port actually bound (useful when 0 was asked for)."""
        if self._runner is None:
            return self._port
        return int(self._runner.addresses[0][1])

    async def start(self) -> None:
        """Bind and serve."""
        app = web.Application(client_max_size=1024 * 1024)
        self.install(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, request: web.Request) -> web.Response:
        if not self.accepting:
            return web.Response(status=503, text="not receiving updates now")
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            log.warning("telegram webhook: request without the right secret token dropped")
            return web.Response(status=403, text="forbidden")
        try:
            data = json.loads(await request.read())
            # Telegram sends one JSON object with an integer update_id; anything else
            # (an array, null, a number, a deeply nested body) is refused, not half-read.
            if not isinstance(data, dict) or type(data.get("update_id")) is not int:
                raise ValueError("the body is not an update object")
            update = Update.de_json(data, self._application.bot)
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
            log.warning("telegram webhook: unreadable update dropped: %s", str(exc)[:200])
            return web.Response(status=400, text="bad update")
        await self._application.update_queue.put(update)
        return web.Response(text="ok")
