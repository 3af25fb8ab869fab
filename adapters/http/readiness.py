"""GET /readyz: every readiness check as JSON, 200 when all pass, 503 otherwise."""

from __future__ import annotations

from aiohttp import web

from adapters.http.server import RouteInstaller
from bot.readiness import Readiness


def readiness_routes(readiness: Readiness) -> RouteInstaller:
    """The /readyz route over `readiness`."""

    async def handle(_request: web.Request) -> web.Response:
        report = await readiness.check()
        return web.json_response(report.as_json(), status=200 if report.ready else 503)

    def install(app: web.Application) -> None:
        app.router.add_get("/readyz", handle)

    return install
