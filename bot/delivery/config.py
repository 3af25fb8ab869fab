"""How hard the delivery engine pushes and how patiently it retries."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from bot.delivery.render import (
    PhotoNote,
    RetractionText,
    default_photo_note,
    default_retraction_text,
)
from bot.ports import PlatformLimits

# Told once per announcement and platform when the platform refuses its photo:
# (announcement id, platform name, the platform's reason).
PhotoRefusedHook = Callable[[int, str, str], Awaitable[None]]
# Senders per platform when neither the platform's pool nor the configuration says.
DEFAULT_CONCURRENCY = 100


@dataclass(frozen=True, slots=True)
class DeliveryConfig:
    """How hard the engine pushes and how patiently it retries."""

    # Requests in flight per platform, at most: None sends as many as the platform's client
    # carries (PlatformLimits.requests_in_flight, its connection pool), or DEFAULT_CONCURRENCY
    # when it has no pool; a number caps that. At a 50 ms round trip, 100 in flight carry
    # 1,000+ messages/s with room to spare.
    concurrency: int | None = None
    poll_interval: float = 1.0  # seconds between looks for rows written by other processes
    # A claimed row returns to the queue if its owner stops renewing it for this long: short,
    # so rows of an owner that died on another host go out again soon after its last beat.
    lease_seconds: float = 20.0
    # How often the leases of rows being sent are renewed (0: a quarter of the lease); the
    # same beat checks for owners that died on this host and takes over their rows.
    heartbeat_interval: float = 0.0
    send_timeout: float = 30.0
    max_attempts: int = 8
    backoff_base: float = 2.0
    backoff_cap: float = 900.0
    # Messages per second per platform, overriding Platform.limits (math.inf: no limit).
    rates: Mapping[str, float] = field(default_factory=dict)
    # Stay a little under the platform's published rate so jitter never crosses it.
    rate_safety: float = 0.985
    # This process's share of each platform's rate: 1/N when N processes send for one bot
    # (`herald run --role worker` replicas), since every process paces only itself.
    rate_share: float = 1.0
    pace_chats: bool = True
    max_inline_wait: float = 1.0  # longer per-chat waits go back to the queue instead
    flush_interval: float = 0.1
    flush_size: int = 256
    stop_grace: float = 10.0
    # HERALD_PUBLIC_URL (no trailing slash): announcements link to their page on the website.
    public_url: str | None = None
    # Copies this close to the platform's delete window are edited, not deleted.
    delete_window_margin: float = 600.0
    retraction_text: RetractionText = default_retraction_text
    # Added to an announcement sent without its photo because the platform refused the photo.
    photo_note: PhotoNote = default_photo_note
    photo_refused: PhotoRefusedHook | None = None
    # The society's language (HERALD_LANGUAGE), for chats that never chose one.
    language: str = "en"
    owner: str | None = None

    def rate(self, name: str, limits: PlatformLimits) -> float:
        """This process's messages per second for a platform: its limit (or `rates`) × share."""
        return self.rates.get(name, limits.messages_per_second) * self.rate_share

    def senders(self, limits: PlatformLimits) -> int:
        """Requests in flight for a platform with these limits (see `concurrency`)."""
        carried = limits.requests_in_flight
        if self.concurrency is None:
            return carried or DEFAULT_CONCURRENCY
        return min(self.concurrency, carried) if carried else self.concurrency
