"""Builds the Discord adapter from Herald's settings (called by the composition root)."""

from __future__ import annotations

from adapters.discord.adapter import DiscordAdapter
from adapters.discord.config import DiscordConfig
from bot.ports import AdapterState, Core
from bot.settings import Settings


def discord_config(settings: Settings) -> DiscordConfig:
    """HERALD_DISCORD_* as the adapter's config; the token must be set."""
    if settings.discord_token is None:
        raise ValueError("HERALD_DISCORD_TOKEN is not set")
    return DiscordConfig(
        token=settings.discord_token.get_secret_value(),
        api_url=settings.discord_api_url,
        gateway_url=settings.discord_gateway_url,
        processes=settings.delivery_processes,
    )


def discord_adapter(core: Core, state: AdapterState, settings: Settings) -> DiscordAdapter:
    """The Discord adapter for `core`, configured from `settings`."""
    return DiscordAdapter(core, discord_config(settings), state=state)
