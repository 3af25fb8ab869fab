"""Pacing: a global rate limiter per platform and per-chat spacing, both on the loop's clock."""

from __future__ import annotations

import asyncio
import math

# Each 429 takes a tenth off the rate (down to a quarter); it climbs back by the target's
# 1/RECOVERY per second. One stray 429 then costs almost nothing; a storm backs off fast.
_SLOW_FACTOR = 0.9
_FLOOR = 0.25
_RECOVERY = 10.0


class RateLimiter:
    """Spaces requests evenly at `rate` per second (GCRA); can be paused and slowed by 429s."""

    def __init__(self, rate: float, *, safety: float = 1.0, burst: int = 1) -> None:
        # Paced a little under the platform's rate, so timer jitter never crosses it.
        self.target = rate * safety
        self._rate = self.target
        self._burst = max(1, burst)
        self._next = 0.0
        self._paused_until = 0.0
        self._updated = 0.0
        # The platform's own cap, over any sliding second: at most `rate` requests may be
        # "open", each from the moment it leaves until one second after its answer came back.
        # A request reaches the platform somewhere between those two instants, so however
        # late the loop or the network delivers it, no second at the platform holds more
        # (see done()). Tighter than spacing departures, which jitter could bunch up.
        finite = math.isfinite(rate) and rate > 0
        self._window = max(1, int(rate)) if finite else 0
        self._span = 1.0
        self._open_requests = 0
        self._closed: asyncio.Event | None = None
        self._open = self.unlimited

    @property
    def rate(self) -> float:
        """The rate in force now (below the target for a while after a 429)."""
        return self._rate

    @property
    def unlimited(self) -> bool:
        """True when the limiter never waits (benchmarks, console)."""
        return math.isinf(self.target) or self.target <= 0

    def _recover(self, now: float) -> None:
        if self._rate < self.target:
            regained = self.target * (now - self._updated) / _RECOVERY
            self._rate = min(self.target, self._rate + regained)
        self._updated = now

    def free(self) -> bool:
        """True when a request may go now without waiting (unlimited and not paused)."""
        if not self._open:
            return False
        # Never paused: no clock read (this runs once per message).
        return not self._paused_until or self._paused_until <= asyncio.get_running_loop().time()

    def paused_for(self) -> float:
        """Seconds left of a global pause (0 when none)."""
        return max(0.0, self._paused_until - asyncio.get_running_loop().time())

    async def acquire(self, *, give_up_after: float = math.inf) -> bool:
        """Wait for this request's slot; False (no slot taken) if a pause is longer than that."""
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            if self._paused_until - now > give_up_after:
                return False
            if self.unlimited:
                if now >= self._paused_until:
                    return True
                await asyncio.sleep(self._paused_until - now)
                continue
            self._recover(now)
            interval = 1.0 / self._rate
            slot = max(self._next, now - (self._burst - 1) * interval, self._paused_until)
            self._next = slot + interval
            if slot > now:
                await asyncio.sleep(slot - now)
            now = loop.time()
            # A global pause that began while we waited moves us behind it.
            if now < self._paused_until:
                continue
            if self._open_requests >= self._window:
                # Every slot of the window is open: wait for one to close. The spacing slot
                # taken above has passed by then; only a pause sends us round again.
                await self._slot_closes()
                if loop.time() < self._paused_until:
                    continue
            self._open_requests += 1
            return True

    async def _slot_closes(self) -> None:
        while self._open_requests >= self._window:
            if self._closed is None:
                self._closed = asyncio.Event()
            self._closed.clear()
            await self._closed.wait()

    def done(self) -> None:
        """The request a successful acquire() allowed has been answered (or abandoned).

        Its slot in the sliding window closes one second from now: by then no second at the
        platform can count it together with a request that leaves after that.
        """
        if self.unlimited:
            return
        asyncio.get_running_loop().call_later(self._span, self._close_one)

    def _close_one(self) -> None:
        self._open_requests -= 1
        if self._closed is not None:
            self._closed.set()

    def pause(self, seconds: float) -> None:
        """Send nothing for `seconds` (the platform said the limit is global)."""
        now = asyncio.get_running_loop().time()
        self._paused_until = max(self._paused_until, now + seconds)

    def slow(self) -> None:
        """Lower the rate after a 429; it climbs back by itself."""
        if self.unlimited:
            return
        now = asyncio.get_running_loop().time()
        self._recover(now)
        self._rate = max(self.target * _FLOOR, self._rate * _SLOW_FACTOR)


class ChatPacer:
    """Keeps messages to one chat an interval apart (Telegram: 1/s private, 20/min group)."""

    def __init__(self) -> None:
        self._next: dict[int, float] = {}

    def reserve(self, chat_id: int, interval: float, now: float, max_wait: float) -> float | None:
        """Seconds to wait before sending to `chat_id`, or None (no slot taken) if over max_wait."""
        ready = self._next.get(chat_id, 0.0)
        wait = max(0.0, ready - now)
        if wait > max_wait:
            return None
        if interval > 0 or ready > now:
            self._next[chat_id] = max(now, ready) + interval
        if len(self._next) > 50_000:
            self._prune(now)
        return wait

    def ready_in(self, chat_id: int, now: float) -> float:
        """Seconds until `chat_id` may get another message."""
        return max(0.0, self._next.get(chat_id, 0.0) - now)

    def hold(self, chat_id: int, seconds: float, now: float) -> None:
        """The platform asked for a pause in this chat."""
        self._next[chat_id] = max(self._next.get(chat_id, 0.0), now + seconds)

    def forget(self, chat_id: int) -> None:
        """Drop the chat's spacing (it moved: the platform sees a new chat)."""
        self._next.pop(chat_id, None)

    def _prune(self, now: float) -> None:
        self._next = {chat: t for chat, t in self._next.items() if t > now}
