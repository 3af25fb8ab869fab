"""Builds the Telegram adapter from Herald's settings (called by the composition root)."""

from __future__ import annotations

from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.config import TelegramConfig
from bot.ports import AdapterState, Core
from bot.settings import Settings


def telegram_adapter(core: Core, state: AdapterState, settings: Settings) -> TelegramAdapter:
    """The Telegram adapter for `core`, configured from HERALD_TELEGRAM_* settings."""
    return TelegramAdapter(core, TelegramConfig.from_settings(settings), state=state)
