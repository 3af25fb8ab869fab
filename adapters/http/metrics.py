"""The Metrics port in Prometheus form, and /metrics: counters, histograms, outbox gauges."""

from __future__ import annotations

import asyncio
import logging
import platform as python_platform
from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    ProcessCollector,
    generate_latest,
)

from adapters.http.server import RouteInstaller
from bot.readiness import Backlog

log = logging.getLogger(__name__)

# Platform calls: Telegram answers in tens of milliseconds; uploads and 429 waits take seconds.
SEND_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
COMMAND_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)


class PrometheusMetrics:
    """Implements bot.metrics.Metrics with prometheus-client, in a registry of its own."""

    def __init__(self, *, version: str, role: str = "all") -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        ProcessCollector(registry=r)
        Info("herald_build", "Herald's version and runtime.", registry=r).info(
            {"version": version, "python": python_platform.python_version(), "role": role}
        )
        self._deliveries = Counter(
            "herald_deliveries", "Delivery rows finished, by outcome.",
            ["platform", "action", "outcome"], registry=r,
        )  # fmt: skip
        self._retries = Counter(
            "herald_delivery_retries", "Deliveries that failed and will be tried again.",
            ["platform"], registry=r,
        )  # fmt: skip
        self._dead = Counter(
            "herald_dead_letters", "Deliveries given up (dead-lettered).", ["platform"], registry=r
        )
        self._rate_limited = Counter(
            "herald_rate_limited", "429 answers (retry later) from a platform.",
            ["platform"], registry=r,
        )  # fmt: skip
        self._send_seconds = Histogram(
            "herald_send_seconds", "Time of one platform call (send, edit, delete).",
            ["platform", "action"], buckets=SEND_BUCKETS, registry=r,
        )  # fmt: skip
        self._commands = Counter(
            "herald_commands", "Chat commands answered, by outcome.",
            ["command", "outcome"], registry=r,
        )  # fmt: skip
        self._command_seconds = Histogram(
            "herald_command_seconds", "Time to answer one chat command.",
            ["command"], buckets=COMMAND_BUCKETS, registry=r,
        )  # fmt: skip
        self._anniversaries = Counter(
            "herald_anniversary_firings", "Anniversary notices and reminders fired.", registry=r
        )
        self._pending = Gauge(
            "herald_outbox_pending", "Delivery rows waiting (due now or later).",
            ["platform"], registry=r,
        )  # fmt: skip
        self._oldest = Gauge(
            "herald_outbox_oldest_due_age_seconds",
            "How long the oldest due delivery row has waited (0 when none is due).",
            ["platform"], registry=r,
        )  # fmt: skip
        self._outbox_up = Gauge(
            "herald_outbox_read_ok", "1 when the last scrape could read the outbox.", registry=r
        )
        self._platforms: set[str] = set()

    # -- the Metrics port ------------------------------------------------------------------

    def delivery(self, platform: str, action: str, outcome: str) -> None:
        """Count one finished delivery row."""
        self._deliveries.labels(platform, action, outcome).inc()
        if outcome == "retry":
            self._retries.labels(platform).inc()
        elif outcome == "dead":
            self._dead.labels(platform).inc()

    def send_latency(self, platform: str, action: str, seconds: float) -> None:
        """Observe one platform call's duration."""
        self._send_seconds.labels(platform, action).observe(seconds)

    def rate_limited(self, platform: str) -> None:
        """Count a 429."""
        self._rate_limited.labels(platform).inc()

    def command(self, name: str, outcome: str, seconds: float) -> None:
        """Count and time one command."""
        self._commands.labels(name, outcome).inc()
        self._command_seconds.labels(name).observe(seconds)

    def anniversaries_fired(self, count: int) -> None:
        """Count anniversary firings."""
        self._anniversaries.inc(count)

    # -- the outbox gauges -----------------------------------------------------------------

    def known_platforms(self, names: list[str]) -> None:
        """Platforms whose series exist from the start (at zero), so alerts see them."""
        for name in names:
            self._platforms.add(name)
            self._pending.labels(name).set(0)
            self._oldest.labels(name).set(0)
            self._dead.labels(name)
            self._retries.labels(name)
            self._rate_limited.labels(name)

    def set_backlog(self, backlog: list[Backlog], now: datetime) -> None:
        """Set the queue gauges from a fresh reading (platforms absent from it are at zero)."""
        seen = {b.platform: b for b in backlog}
        for name in sorted(self._platforms | set(seen)):
            self._platforms.add(name)
            row = seen.get(name)
            self._pending.labels(name).set(row.pending if row else 0)
            due = row.oldest_due_at if row else None
            self._oldest.labels(name).set(max(0.0, (now - due).total_seconds()) if due else 0)

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)

    def outbox_read(self, ok: bool) -> None:
        """Whether the outbox could be read for this scrape."""
        self._outbox_up.set(1 if ok else 0)


def metrics_routes(
    metrics: PrometheusMetrics,
    backlog: Callable[[], Awaitable[tuple[list[Backlog], datetime]]],
    *,
    timeout: float = 2.0,
) -> RouteInstaller:
    """GET /metrics: refresh the outbox gauges (bounded), then the whole registry."""

    async def handle(_request: web.Request) -> web.Response:
        try:
            async with asyncio.timeout(timeout):
                rows, now = await backlog()
        except Exception as exc:
            log.warning("metrics: cannot read the outbox: %s", type(exc).__name__)
            metrics.outbox_read(False)
        else:
            metrics.set_backlog(rows, now)
            metrics.outbox_read(True)
        return web.Response(
            body=metrics.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    def install(app: web.Application) -> None:
        app.router.add_get("/metrics", handle)

    return install
