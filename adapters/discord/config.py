"""Configuration of the Discord adapter."""

from __future__ import annotations

from dataclasses import dataclass, field

SYNC_MODES = ("auto", "always", "never")


@dataclass(frozen=True, slots=True)
class DiscordConfig:
    """How to reach Discord: the bot token, the REST base and gateway URLs, command sync."""

    token: str = field(repr=False)
    api_url: str = "https://discord.com/api/v10"
    gateway_url: str = "wss://gateway.discord.gg/"
    # "auto": sync slash commands on start only when their hash changed; "always"; "never".
    sync_commands: str = "auto"
    # How long discord.py waits after the last GUILD_CREATE before it calls itself ready
    # (guilds arriving later are still handled; nothing in Herald needs them all at once).
    guild_ready_timeout: float = 0.5
    # How long start() waits for READY before it returns and keeps retrying in the background.
    start_timeout: float = 30.0
    # Cap on one REST call made for the delivery engine; past it the call counts as transient.
    request_timeout: float = 30.0
    # Processes delivering for this bot (HERALD_DELIVERY_PROCESSES): Discord's global request
    # limit is per bot, so each process paces its requests at 1/N of it.
    processes: int = 1

    def __post_init__(self) -> None:
        if self.sync_commands not in SYNC_MODES:
            raise ValueError(f"sync_commands must be one of {', '.join(SYNC_MODES)}")
        if self.processes < 1:
            raise ValueError("processes must be at least 1")
