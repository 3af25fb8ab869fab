"""Builds the Telegram adapter from Herald's settings (called by the composition root)."""

from __future__ import annotations

from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.config import TelegramConfig
from bot.ports import AdapterState, Core, FileIds
from bot.settings import Settings


def telegram_adapter(
    core: Core, state: AdapterState, settings: Settings, *, file_ids: FileIds | None = None
) -> TelegramAdapter:
    """The Telegram adapter for `core`, configured from HERALD_TELEGRAM_* settings."""
    config = TelegramConfig.from_settings(settings)
    return TelegramAdapter(core, config, state=state, file_ids=file_ids)
