"""`herald doctor` for Telegram: getMe, getWebhookInfo and the clock, over plain HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import aiohttp

from bot.doctor import Finding, clock_finding, clock_offset


async def telegram_findings(api_url: str, token: str, *, within: float = 10) -> list[Finding]:
    """Is the token accepted, what is the webhook's state, how far off is our clock."""
    base = f"{api_url.rstrip('/')}/bot{token}"
    client_timeout = aiohttp.ClientTimeout(total=within)
    try:
        async with aiohttp.ClientSession(timeout=client_timeout) as http:
            async with http.get(f"{base}/getMe") as response:
                me: dict[str, Any] = await response.json(content_type=None)
                offset = clock_offset(response.headers.get("Date"), datetime.now(UTC))
            if not me.get("ok"):
                return [
                    Finding(
                        "telegram token", False,
                        f"the Bot API at {api_url} rejected HERALD_TELEGRAM_TOKEN "
                        f"({me.get('error_code')}): copy the token again from @BotFather",
                    )
                ]  # fmt: skip
            async with http.get(f"{base}/getWebhookInfo") as response:
                hook: dict[str, Any] = (await response.json(content_type=None)).get("result", {})
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        return [
            Finding("telegram", False, f"cannot reach {api_url} ({type(exc).__name__}): "
                    "check HERALD_TELEGRAM_API_URL and the network")
        ]  # fmt: skip
    found = [Finding("telegram token", True, f"accepted: @{me['result'].get('username')}")]
    url = hook.get("url") or ""
    pending = hook.get("pending_update_count", 0)
    error = hook.get("last_error_message")
    state = f"webhook {url}" if url else "no webhook (long polling)"
    state += f", {pending} updates waiting"
    if error:
        state += f"; last error: {error}"
    found.append(Finding("telegram webhook", not error, state))
    found.append(clock_finding("telegram", offset))
    return found
