"""Scheduler test fixtures: `make` builds services and stops every scheduler afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.ports import ManualClock
from storage.repository import Repository

from .support import Herald, build


class Make(Protocol):
    """`build` with the test's repository, engine and clock filled in."""

    def __call__(self, **options: Any) -> Herald:
        """Services over the test database with these settings."""
        ...


@pytest.fixture
async def make(
    repo: Repository, engine: AsyncEngine, clock: ManualClock
) -> AsyncIterator[Make]:
    """Build services for the test; every scheduler is stopped (lock released) at the end."""
    built: list[Herald] = []

    def factory(**options: Any) -> Herald:
        herald = build(repo, engine, clock, **options)
        built.append(herald)
        return herald

    yield factory
    for herald in built:
        await herald.close()
