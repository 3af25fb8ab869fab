"""The operator's routes (/readyz, /metrics) built from what the composition root hands in."""

from __future__ import annotations

from datetime import datetime

from adapters.http.metrics import PrometheusMetrics, metrics_routes
from adapters.http.readiness import readiness_routes
from adapters.http.server import RouteInstaller
from bot.metrics import Metrics
from bot.ports import Clock
from bot.readiness import Backlog, OpsProbe, Readiness


def ops_routes(
    readiness: Readiness, probe: OpsProbe, clock: Clock, metrics: Metrics
) -> list[RouteInstaller]:
    """/readyz always; /metrics when `metrics` is the Prometheus exporter."""
    installers = [readiness_routes(readiness)]
    if isinstance(metrics, PrometheusMetrics):

        async def backlog() -> tuple[list[Backlog], datetime]:
            now = clock.now()
            return await probe.backlog(now), now

        installers.append(metrics_routes(metrics, backlog))
    return installers
