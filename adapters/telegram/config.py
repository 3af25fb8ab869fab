"""How the Telegram adapter is configured; secrets are kept out of repr and logs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import Settings

DEFAULT_RATE = 30.0
PAID_RATE = 1000.0


@dataclass(frozen=True, slots=True)
class TelegramConfig:
    """Token, Bot API root, polling or webhook, and broadcast pacing."""

    token: str = field(repr=False)
    api_url: str = "https://api.telegram.org"
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    # The webhook's own listener; unused when `webhook_shared` (served on HERALD_HTTP_LISTEN).
    webhook_host: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_shared: bool = False
    paid_broadcast: bool = False
    messages_per_second: float = DEFAULT_RATE
    # The delivery engine runs as many senders (PlatformLimits.requests_in_flight).
    connection_pool_size: int = 100
    poll_timeout: int = 30
    # Seconds between start attempts while the Bot API is unreachable (doubles up to the cap).
    retry_initial: float = 1.0
    retry_cap: float = 300.0

    @property
    def base_url(self) -> str:
        """What python-telegram-bot prefixes to `<token>/<method>`."""
        return self.api_url.rstrip("/") + "/bot"

    @property
    def base_file_url(self) -> str:
        """Where files are downloaded from."""
        return self.api_url.rstrip("/") + "/file/bot"

    @property
    def broadcast_rate(self) -> float:
        """Messages per second overall: the configured rate, or 1000 with paid broadcasts.

        The one place this rule lives: the delivery engine paces by the platform's limits.
        """
        if self.paid_broadcast and self.messages_per_second <= DEFAULT_RATE:
            return PAID_RATE
        return self.messages_per_second

    @classmethod
    def from_settings(cls, settings: Settings) -> TelegramConfig:
        """Build from HERALD_TELEGRAM_* settings (the token must be set)."""
        if settings.telegram_token is None:
            raise ValueError("HERALD_TELEGRAM_TOKEN is not set")
        listen = (settings.telegram_webhook_listen or "").strip()
        host, _, port = listen.rpartition(":")
        secret = settings.telegram_webhook_secret
        return cls(
            token=settings.telegram_token.get_secret_value(),
            api_url=settings.telegram_api_url,
            webhook_url=settings.telegram_webhook_url or None,
            webhook_secret=secret.get_secret_value() if secret else None,
            webhook_host=host or "127.0.0.1",
            webhook_port=int(port) if port else 8443,
            webhook_shared=not listen,
            paid_broadcast=settings.telegram_paid_broadcast,
            messages_per_second=settings.telegram_rate,
        )
