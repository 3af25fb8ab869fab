"""`herald doctor` for Discord: users/@me and the clock, over plain HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp

from bot.doctor import Finding, clock_finding, clock_offset


async def discord_findings(api_url: str, token: str, *, within: float = 10) -> list[Finding]:
    """Is the bot token accepted, and how far off is our clock."""
    headers = {"Authorization": f"Bot {token}"}
    client_timeout = aiohttp.ClientTimeout(total=within)
    try:
        async with (
            aiohttp.ClientSession(timeout=client_timeout) as http,
            http.get(f"{api_url.rstrip('/')}/users/@me", headers=headers) as response,
        ):
            offset = clock_offset(response.headers.get("Date"), datetime.now(UTC))
            if response.status == 401:
                return [
                    Finding("discord token", False, "Discord rejected HERALD_DISCORD_TOKEN: "
                            "reset the bot token in the Developer Portal and set it again")
                ]  # fmt: skip
            response.raise_for_status()
            me = await response.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        return [
            Finding("discord", False, f"cannot reach {api_url} ({type(exc).__name__}): "
                    "check HERALD_DISCORD_API_URL and the network")
        ]  # fmt: skip
    return [
        Finding("discord token", True, f"accepted: {me.get('username')}"),
        clock_finding("discord", offset),
    ]
