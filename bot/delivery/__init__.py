"""The delivery engine: drains the outbox to every platform, under each platform's limits."""

from bot.delivery.config import DeliveryConfig
from bot.delivery.engine import DeliveryEngine
from bot.delivery.render import default_retraction_text, render, retraction
from bot.delivery.status import (
    DeliveryStatus,
    dead_letters,
    delivery_status,
    retry_dead_letters,
)

__all__ = [
    "DeliveryConfig",
    "DeliveryEngine",
    "DeliveryStatus",
    "dead_letters",
    "default_retraction_text",
    "delivery_status",
    "render",
    "retraction",
    "retry_dead_letters",
]
