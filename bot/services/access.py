"""Who may do what: owners from HERALD_ADMINS, admins added by owners."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.ports.stores import AdminStore
from bot.services.cache import TTLCache

# The terminal and the shell: their user is the machine's operator.
LOCAL_PLATFORMS = ("console", "cli")


class AccessService:
    """Answers whether an actor (`platform:user_id`) is an owner or an admin."""

    def __init__(self, owners: Iterable[str], admins: AdminStore) -> None:
        self._owners = frozenset(owners)
        self._admins = admins
        # Admins added by owners change rarely; another process's change shows within seconds.
        self._added: TTLCache[str, frozenset[str]] = TTLCache(ttl=5.0, size=1)

    def is_owner(self, actor: str) -> bool:
        """Listed in HERALD_ADMINS; with none listed, the local operator (console, CLI) is one."""
        if actor in self._owners:
            return True
        return not self._owners and actor.split(":", 1)[0] in LOCAL_PLATFORMS

    async def is_admin(self, actor: str) -> bool:
        """Owners and the admins they added."""
        if self.is_owner(actor):
            return True
        # One query however many commands ask at once when the cache has expired.
        added = await self._added.fetch("all", self._load_added)
        return actor in added

    async def _load_added(self) -> frozenset[str]:
        return frozenset(await self._admins.all())

    async def add_admin(self, actor: str, *, by: str, now: datetime) -> bool:
        """Make `actor` an admin; False when it already was one."""
        self._added.clear()
        return await self._admins.add(actor, by=by, now=now)

    async def remove_admin(self, actor: str, *, by: str, now: datetime) -> bool:
        """Take admin rights away; False when `actor` was not an admin."""
        self._added.clear()
        return await self._admins.remove(actor, by=by, now=now)

    async def admins(self) -> list[str]:
        """Admins added by owners (owners themselves are in HERALD_ADMINS)."""
        return await self._admins.all()
