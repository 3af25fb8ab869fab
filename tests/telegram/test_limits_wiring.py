"""Telegram's broadcast rate and requests in flight: one rule, read by adapter and engine alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import open_herald, platform_adapters
from bot.settings import Settings


@pytest.mark.parametrize(
    ("paid", "rate", "expected"),
    [(False, 30.0, 30.0), (True, 30.0, 1000.0), (True, 100.0, 100.0), (False, 100.0, 100.0)],
)
async def test_engine_paces_telegram_as_the_adapter_reports(
    tmp_path: Path, paid: bool, rate: float, expected: float
) -> None:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'herald.db'}",
        telegram_token="123456:TEST-token",
        telegram_paid_broadcast=paid,
        telegram_rate=rate,
    )
    herald = await open_herald(settings)
    herald.adapters = platform_adapters(herald)  # closed with Herald (never started)
    (telegram,) = herald.adapters
    try:
        engine = herald.start_delivery({telegram.name: telegram})
        assert telegram.limits.messages_per_second == expected
        assert telegram.limits.requests_in_flight == 100  # TelegramConfig.connection_pool_size
        assert engine.pace("telegram") == (expected, 100)
    finally:
        await herald.close()


async def test_each_worker_paces_at_its_share(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'herald.db'}",
        telegram_token="123456:TEST-token",
        telegram_paid_broadcast=True,
        telegram_rate=100.0,
        delivery_processes=4,
    )
    herald = await open_herald(settings)
    herald.adapters = platform_adapters(herald)  # closed with Herald (never started)
    (telegram,) = herald.adapters
    try:
        assert herald.start_delivery({telegram.name: telegram}).pace("telegram") == (25.0, 100)
    finally:
        await herald.close()
