"""The fake Discord gateway: one WebSocket session per client (HELLO, IDENTIFY, READY, dispatch)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from tests.fakes.discord_payloads import JSON

if TYPE_CHECKING:
    from tests.fakes.discord_api import FakeDiscord

HEARTBEAT_INTERVAL_MS = 41_250


class GatewaySession:
    """One client's gateway connection: sequence numbers and the socket."""

    def __init__(self, ws: web.WebSocketResponse, session_id: str) -> None:
        self.ws = ws
        self.session_id = session_id
        self.seq = 0
        self.identify: JSON | None = None
        self.heartbeats = 0

    async def send(self, op: int, data: Any, event: str | None = None) -> None:
        """Send one gateway frame (plain JSON text, which the client accepts uncompressed)."""
        frame: JSON = {"op": op, "d": data, "s": None, "t": event}
        if op == 0:
            self.seq += 1
            frame["s"] = self.seq
        await self.ws.send_str(json.dumps(frame))

    async def dispatch(self, event: str, data: JSON) -> None:
        """Send a DISPATCH (op 0) event."""
        await self.send(0, data, event)


async def serve_gateway(
    fake: FakeDiscord, request: web.Request, on_change: Callable[[], None]
) -> web.WebSocketResponse:
    """Run one gateway session until the client goes away."""
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    session = GatewaySession(ws, f"session-{len(fake.sessions) + 1}")
    fake.gateway_queries.append(dict(request.query))
    await session.send(10, {"heartbeat_interval": HEARTBEAT_INTERVAL_MS})
    try:
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            op = frame.get("op")
            if op == 1:
                session.heartbeats += 1
                await session.send(11, None)
            elif op == 2:
                session.identify = frame["d"]
                fake.sessions.append(session)
                await _ready(fake, session)
            elif op == 6:
                fake.resumes.append(frame["d"])
                fake.sessions.append(session)
                await session.dispatch("RESUMED", {})
            on_change()
    finally:
        if session in fake.sessions:
            fake.sessions.remove(session)
        fake.gateway_closes.append((session.session_id, ws.close_code, time.monotonic()))
        on_change()
    return ws


async def _ready(fake: FakeDiscord, session: GatewaySession) -> None:
    """READY with the bot user and unavailable guilds, then one GUILD_CREATE per guild."""
    await session.dispatch(
        "READY",
        {
            "v": 10,
            "user": fake.bot.payload(),
            "guilds": [{"id": str(g.id), "unavailable": True} for g in fake.guilds.values()],
            "session_id": session.session_id,
            "resume_gateway_url": fake.gateway_url,
            "application": {"id": str(fake.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
        },
    )
    for guild in list(fake.guilds.values()):
        await session.dispatch("GUILD_CREATE", guild.payload())
        await asyncio.sleep(0)
