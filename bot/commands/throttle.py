"""Per-user token buckets for commands: one member's flood is dropped, and told so once."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

# The local operator's platforms: one person at a shell, who may pipe a script of commands.
UNTHROTTLED_PLATFORMS = frozenset({"console", "cli"})
# Past this many users remembered, buckets that have refilled (the same as no bucket) go.
_PRUNE_AT = 10_000


class Verdict(Enum):
    """What the limiter says about one command."""

    RUN = "run"
    NOTICE = "notice"  # dropped; the user is told, once per window
    DROP = "drop"  # dropped silently: the user was told already in this window


@dataclass(frozen=True, slots=True)
class BucketSize:
    """A burst of `burst` commands, then one more every `interval` seconds."""

    burst: int
    interval: float

    @property
    def window(self) -> float:
        """How long an empty bucket takes to fill again: at most one notice per window."""
        return self.burst * self.interval


@dataclass(slots=True)
class _Bucket:
    tokens: float
    stamp: float
    quiet_until: float = 0.0


class CommandThrottle:
    """Token buckets per `platform:user`, kept in memory (each process counts its own)."""

    def __init__(
        self,
        member: BucketSize,
        admin: BucketSize,
        *,
        clock: Callable[[], float] = time.monotonic,
        unthrottled: frozenset[str] = UNTHROTTLED_PLATFORMS,
    ) -> None:
        self.member = member
        self.admin = admin
        self._clock = clock
        self._unthrottled = unthrottled
        self._buckets: dict[tuple[str, bool], _Bucket] = {}
        self._prune_at = _PRUNE_AT

    def applies_to(self, platform: str) -> bool:
        """Whether commands from `platform` are counted at all."""
        return platform not in self._unthrottled

    def admit(self, actor: str, *, admin: bool, at: float | None = None) -> Verdict:
        """Take one token from the actor's bucket (the admins' larger one for an admin).

        `at` is when the command arrived (the limiter's clock; now when None).
        """
        size = self.admin if admin else self.member
        now = self._clock() if at is None else at
        key = (actor, admin)
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._prune_at:
                self._prune(now)
            bucket = self._buckets[key] = _Bucket(float(size.burst), now)
        elif now > bucket.stamp:
            # (Commands from one user in two chats may come up slightly out of arrival order.)
            refill = (now - bucket.stamp) / size.interval
            bucket.tokens = min(float(size.burst), bucket.tokens + refill)
            bucket.stamp = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return Verdict.RUN
        if now >= bucket.quiet_until:
            bucket.quiet_until = now + size.window
            return Verdict.NOTICE
        return Verdict.DROP

    def _prune(self, now: float) -> None:
        """Forget buckets that are full again and owe no silence: they act as no bucket."""
        kept: dict[tuple[str, bool], _Bucket] = {}
        for key, bucket in self._buckets.items():
            size = self.admin if key[1] else self.member
            full = bucket.tokens + (now - bucket.stamp) / size.interval >= size.burst
            if not full or now < bucket.quiet_until:
                kept[key] = bucket
        self._buckets = kept
        self._prune_at = max(_PRUNE_AT, 2 * len(kept))
