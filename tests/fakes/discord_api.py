"""A fake Discord on loopback: REST (aiohttp) and the gateway, for the real discord.py."""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes import discord_interactions as ix
from tests.fakes.discord_files import FakeAttachments
from tests.fakes.discord_gateway import GatewaySession, serve_gateway
from tests.fakes.discord_payloads import (
    ANNOUNCEMENT,
    DM,
    EPHEMERAL,
    JSON,
    LOADING,
    TEXT,
    FakeChannel,
    FakeGuild,
    FakeInteraction,
    FakeMessage,
    FakeUser,
    new_id,
    now,
)
from tests.fakes.discord_rest import install_routes

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

NONCE_WINDOW_SECONDS = 300.0


@dataclass
class Fault:
    """An injected failure for requests matching `method` and `path` (a regex searched).

    Status 200 with a delay means the request succeeds but its answer comes `delay` late.
    """

    status: int
    method: str | None = None
    path: str | None = None
    times: int = 1
    retry_after: float = 0.05
    is_global: bool = False
    delay: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        """Whether this fault applies to the request."""
        if self.method is not None and self.method != method:
            return False
        return self.path is None or re.search(self.path, path) is not None


class DiscordError(Exception):
    """Raised inside a handler to answer an error with Discord's JSON body."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A response whose content type is exactly `application/json`, as discord.py requires."""
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return web.Response(body=json.dumps(data).encode(), status=status, headers=all_headers)


class FakeDiscord(ix.InjectInteractions):
    """Discord's REST API and gateway on one loopback server, with a world tests inspect."""

    def __init__(self, *, token: str = "fake-bot-token", bucket_limit: int = 50) -> None:
        self.token = token
        self.application_id = new_id()
        self.bot = FakeUser(new_id(), "Herald", bot=True)
        self.owner = FakeUser(new_id(), "Owner")
        self.guilds: dict[int, FakeGuild] = {}
        self.channels: dict[int, FakeChannel] = {}
        self.messages: dict[int, FakeMessage] = {}
        self.interactions: dict[int, FakeInteraction] = {}
        self.commands: dict[int | None, list[JSON]] = {}
        self.command_syncs: list[int | None] = []
        self.requests: list[tuple[str, str, Any]] = []
        self.faults: list[Fault] = []
        self.sessions: list[GatewaySession] = []
        self.gateway_queries: list[dict[str, str]] = []
        self.resumes: list[JSON] = []
        # (session id, the client's close code, when) for every gateway connection that ended.
        self.gateway_closes: list[tuple[str, int | None, float]] = []
        # When each answer delayed by a 200 fault left (a send that was in flight).
        self.late_answers: list[float] = []
        self.latency = 0.0
        self.interaction_deadline = 3.0
        self.bucket_limit = bucket_limit
        self.bucket_window = 1.0
        self.enforce_buckets = False
        self.rate_limited = 0
        self._buckets: dict[str, tuple[float, int]] = {}
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.files = FakeAttachments()

    # ----- lifecycle -----

    async def start(self) -> None:
        """Listen on a random loopback port."""
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/ws", self._gateway)
        install_routes(self, app)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None)
        assert sockets
        self.port = sockets[0].getsockname()[1]
        self.files.root = f"http://127.0.0.1:{self.port}"

    async def close(self) -> None:
        """Close every gateway session and stop listening."""
        for session in list(self.sessions):
            await session.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        """The REST base (what `discord.http.Route.BASE` must be)."""
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        """The gateway URL (what `DiscordWebSocket.DEFAULT_GATEWAY` must be)."""
        return f"ws://127.0.0.1:{self.port}/ws"

    # ----- the world -----

    def add_guild(
        self, name: str, channels: list[tuple[str, int]] | None = None, members: int = 2
    ) -> FakeGuild:
        """Create a guild with channels given as (name, type); members are named member1..N."""
        guild = FakeGuild(new_id(), name, self.owner.id)
        for channel_name, kind in channels or [("general", TEXT), ("news", ANNOUNCEMENT)]:
            channel = FakeChannel(new_id(), channel_name, kind, guild.id)
            guild.channels.append(channel)
            self.channels[channel.id] = channel
        guild.members = [FakeUser(new_id(), f"member{i + 1}") for i in range(members)]
        self.guilds[guild.id] = guild
        return guild

    def dm_channel(self, user: FakeUser) -> FakeChannel:
        """The DM channel between the bot and `user` (created on first use)."""
        for channel in self.channels.values():
            if (
                channel.type == DM
                and channel.recipient is not None
                and channel.recipient.id == user.id
            ):
                return channel
        channel = FakeChannel(new_id(), f"dm-{user.name}", DM, recipient=user)
        self.channels[channel.id] = channel
        return channel

    def channel_messages(
        self, channel_id: int, *, include_deleted: bool = False
    ) -> list[FakeMessage]:
        """Messages in a channel, oldest first."""
        return [
            m
            for m in self.messages.values()
            if m.channel_id == channel_id and (include_deleted or not m.deleted)
        ]

    def fail(self, status: int, **kwargs: Any) -> Fault:
        """Inject a failure (see `Fault`); returns it so tests can check `times` left."""
        fault = Fault(status, **kwargs)
        self.faults.append(fault)
        return fault

    # ----- waiting -----

    def changed(self) -> None:
        """Wake every waiter (something in the world changed)."""

        async def notify() -> None:
            async with self._changed:
                self._changed.notify_all()

        asyncio.get_running_loop().create_task(notify())

    async def wait_until(self, predicate: Callable[[], bool], seconds: float = 5.0) -> None:
        """Wait until `predicate()` holds, re-checking whenever the world changes."""
        async with asyncio.timeout(seconds), self._changed:
            await self._changed.wait_for(predicate)

    # ----- gateway -----

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        return await serve_gateway(self, request, self.changed)

    async def dispatch(self, event: str, data: JSON) -> None:
        """Send a dispatch event to every connected client."""
        for session in list(self.sessions):
            await session.dispatch(event, data)

    async def drop_gateway(self, code: int = 4000) -> None:
        """Close every gateway connection with `code` (4000: the client should resume)."""
        for session in list(self.sessions):
            await session.ws.close(code=code)

    async def delete_channel(self, channel: FakeChannel) -> None:
        """A guild channel is deleted: later requests get 404 Unknown Channel."""
        channel.deleted = True
        await self.dispatch("CHANNEL_DELETE", channel.payload())

    async def remove_guild(self, guild: FakeGuild, *, unavailable: bool) -> None:
        """GUILD_DELETE: an outage (`unavailable`) or the bot being removed."""
        data: JSON = {"id": str(guild.id)}
        if unavailable:
            data["unavailable"] = True
        else:
            del self.guilds[guild.id]
        await self.dispatch("GUILD_DELETE", data)

    # ----- REST plumbing -----

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path == "/ws":
            return await handler(request)
        body: Any = None
        if request.body_exists and request.content_type == "application/json":
            body = await request.json()
        path = request.path.removeprefix("/api/v10")
        self.requests.append((request.method, path, body))
        if self.latency:
            await asyncio.sleep(self.latency)
        # Attachment URLs are the CDN's: no token, like webhooks.
        webhook = path.startswith(("/webhooks/", "/interactions/", "/attachments/"))
        if not webhook and request.headers.get("Authorization") != f"Bot {self.token}":
            return json_response({"message": "401: Unauthorized", "code": 0}, 401)
        fault = next(
            (f for f in self.faults if f.times > 0 and f.matches(request.method, path)), None
        )
        slow = 0.0
        if fault is not None:
            fault.times -= 1
            if fault.status == 200:
                # Done, but answered late: the client may time out and send again.
                slow = fault.delay
            else:
                if fault.delay:
                    await asyncio.sleep(fault.delay)
                return self._fault_response(fault)
        bucket = self._bucket_key(request, path)
        headers, limited = self._take(bucket)
        if limited is not None:
            self.rate_limited += 1
            return json_response(
                {"message": "You are being rate limited.", "retry_after": limited, "global": False},
                429,
                {**headers, "Via": "1.1 google", "Retry-After": f"{limited:.3f}"},
            )
        try:
            response = await handler(request)
        except DiscordError as exc:
            response = json_response({"message": exc.message, "code": exc.code}, exc.status)
        finally:
            self.changed()
        response.headers.update(headers)
        if slow:
            await asyncio.sleep(slow)
            self.late_answers.append(time.monotonic())
        return response

    def _fault_response(self, fault: Fault) -> web.Response:
        if fault.status == 429:
            self.rate_limited += 1
            body = {
                "message": "You are being rate limited.",
                "retry_after": fault.retry_after,
                "global": fault.is_global,
            }
            headers = {"Via": "1.1 google", "Retry-After": f"{fault.retry_after:.3f}"}
            if fault.is_global:
                headers["X-RateLimit-Global"] = "true"
            return json_response(body, 429, headers)
        if fault.status == 403:
            return json_response({"message": "Missing Access", "code": 50001}, 403)
        if fault.status == 404:
            return json_response({"message": "Unknown Channel", "code": 10003}, 404)
        if fault.status == 400:
            return json_response({"message": "Invalid Form Body", "code": 50035}, 400)
        return json_response({"message": "Server Error", "code": 0}, fault.status)

    def _bucket_key(self, request: web.Request, path: str) -> str:
        info = request.match_info
        route = info.route.resource.canonical if info.route.resource else path
        major = info.get("channel_id") or info.get("guild_id") or info.get("token") or ""
        return f"{request.method} {route} {major}"

    def _take(self, bucket: str) -> tuple[dict[str, str], float | None]:
        """Count a request against its bucket; return headers and, when over, retry_after."""
        clock = time.monotonic()
        start, used = self._buckets.get(bucket, (clock, 0))
        if clock - start >= self.bucket_window:
            start, used = clock, 0
        used += 1
        self._buckets[bucket] = (start, used)
        # Rounded up to the millisecond, as the header carries it: a client that waits what it
        # was told never arrives before the window has ended.
        reset_after = max(math.ceil((self.bucket_window - (clock - start)) * 1000) / 1000, 0.001)
        headers = {
            "X-RateLimit-Limit": str(self.bucket_limit),
            "X-RateLimit-Remaining": str(max(self.bucket_limit - used, 0)),
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Bucket": f"bucket-{abs(hash(bucket.rsplit(' ', 1)[0])) % 10**8}",
        }
        if self.enforce_buckets and used > self.bucket_limit:
            return headers, reset_after
        return headers, None

    # ----- messages and interactions (used by the REST handlers) -----

    def channel_for_write(self, channel_id: int) -> FakeChannel:
        """The channel, or the error Discord gives for a gone or forbidden one."""
        channel = self.channels.get(channel_id)
        if channel is None or channel.deleted:
            raise DiscordError(404, 10003, "Unknown Channel")
        if channel.forbidden:
            raise DiscordError(403, 50001, "Missing Access")
        return channel

    def create_message(
        self, channel_id: int, body: JSON, *, interaction_id: int | None = None
    ) -> FakeMessage:
        """Store a new message, or return the existing one for a repeated enforced nonce."""
        channel = self.channels.get(channel_id)
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            for message in self.messages.values():
                recent = (now() - message.created_at).total_seconds() < NONCE_WINDOW_SECONDS
                if message.channel_id == channel_id and message.nonce == str(nonce) and recent:
                    return message
        message = FakeMessage(
            new_id(),
            channel_id,
            self.bot,
            nonce=None if nonce is None else str(nonce),
            interaction_id=interaction_id,
            guild_id=channel.guild_id if channel else None,
        )
        message.apply(body)
        self.messages[message.id] = message
        return message

    def interaction_by_token(self, token: str) -> FakeInteraction:
        """The interaction a webhook token belongs to."""
        for interaction in self.interactions.values():
            if interaction.token == token:
                return interaction
        raise DiscordError(404, 10015, "Unknown Webhook")

    def answer_interaction(self, interaction: FakeInteraction, body: JSON) -> JSON:
        """Apply an interaction callback; return the `with_response=1` body."""
        elapsed = time.monotonic() - interaction.created
        if interaction.answered:
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        if elapsed > self.interaction_deadline:
            raise DiscordError(404, 10062, "Unknown interaction")
        interaction.callbacks.append(body)
        interaction.callback_times.append(elapsed)
        kind = body["type"]
        data = body.get("data") or {}
        result: JSON = {"interaction": {"id": str(interaction.id), "type": interaction.type}}
        message: FakeMessage | None = None
        if kind in (4, 5):
            flags = int(data.get("flags") or 0) | (LOADING if kind == 5 else 0)
            message = self.create_message(
                interaction.channel_id, {**data, "flags": flags}, interaction_id=interaction.id
            )
            interaction.original_id = message.id
            result["interaction"]["response_message_loading"] = kind == 5
            result["interaction"]["response_message_ephemeral"] = bool(flags & EPHEMERAL)
        elif kind in (6, 7) and interaction.source_message_id is not None:
            message = self.messages[interaction.source_message_id]
            interaction.original_id = message.id
            if kind == 7:
                self.edit_message(message, data)
        if message is not None:
            result["interaction"]["response_message_id"] = str(message.id)
            result["resource"] = {"type": kind, "message": message.payload()}
        return result

    def edit_message(self, message: FakeMessage, body: JSON) -> None:
        """Apply an edit."""
        if message.deleted:
            raise DiscordError(404, 10008, "Unknown Message")
        message.apply(body)
        message.flags &= ~LOADING
        message.edits += 1
        message.edited_at = now()
