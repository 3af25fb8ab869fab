"""An AdapterState kept in a dict, for adapter tests that run without a database."""

from __future__ import annotations


class MemoryState:
    """Implements bot.ports.AdapterState in memory; `key in state` tells what was stored."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    async def get(self, key: str) -> str | None:
        """The stored value, or None."""
        return self.values.get(key)

    async def set(self, key: str, value: str) -> None:
        """Store a value."""
        self.values[key] = value

    def __contains__(self, key: object) -> bool:
        return key in self.values
