"""Fixtures for the storage contract tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.engine import create_engine
from storage.repository import Repository


@pytest.fixture
async def other_repo(database_url: str, engine: AsyncEngine) -> AsyncIterator[Repository]:
    """A second repository on its own engine, like a second Herald process."""
    second = create_engine(database_url)
    yield Repository.for_engine(second)
    await second.dispose()
