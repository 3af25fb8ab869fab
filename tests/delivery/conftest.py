"""Fixtures for the delivery tests: sessions over the migrated test database, a fake platform."""

from __future__ import annotations

import math

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.delivery import DeliveryConfig
from bot.ports import ManualClock
from tests.delivery.support import RecordingPlatform


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions over the migrated test database (SQLite, and PostgreSQL when configured)."""
    return async_sessionmaker(engine, expire_on_commit=False)


@pytest.fixture
def platform(clock: ManualClock) -> RecordingPlatform:
    """A recording Telegram-like platform."""
    return RecordingPlatform(clock)


@pytest.fixture
def config() -> DeliveryConfig:
    """Fast settings: no global rate limit, short timeouts, few attempts."""
    return DeliveryConfig(
        rates={"telegram": math.inf, "discord": math.inf},
        send_timeout=0.3,
        max_attempts=4,
        poll_interval=0.05,
        flush_interval=0.01,
        stop_grace=2.0,
    )
