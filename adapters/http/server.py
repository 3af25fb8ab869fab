"""The HTTP server `herald run` starts on HERALD_HTTP_LISTEN, with the routes it is given."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from aiohttp import web

log = logging.getLogger(__name__)

# Adds routes (or a sub-application) to the server's application before it starts.
RouteInstaller = Callable[[web.Application], None]


async def healthz(_request: web.Request) -> web.Response:
    """Liveness: answering at all means the event loop runs."""
    return web.Response(text="ok\n")


class HttpServer:
    """One aiohttp server: /healthz always, then every installer's routes."""

    def __init__(
        self,
        host: str,
        port: int,
        installers: Sequence[RouteInstaller] = (),
        *,
        shutdown_timeout: float = 2.0,
    ) -> None:
        self._host, self._port = host, port
        self._installers = list(installers)
        self._shutdown_timeout = shutdown_timeout
        self._runner: web.AppRunner | None = None

    def application(self) -> web.Application:
        """A fresh application with /healthz and every installer's routes."""
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_get("/healthz", healthz)
        for install in self._installers:
            install(app)
        return app

    @property
    def port(self) -> int:
        """The port bound (the one asked for, or the one the system chose for 0)."""
        if self._runner is None or not self._runner.addresses:
            return self._port
        return int(self._runner.addresses[0][1])

    @property
    def url(self) -> str:
        """The server's base URL, e.g. http://127.0.0.1:8080."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        """Bind and serve; OSError when the address is taken or not ours."""
        runner = web.AppRunner(
            self.application(), access_log=None, shutdown_timeout=self._shutdown_timeout
        )
        await runner.setup()
        try:
            await web.TCPSite(runner, self._host, self._port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        log.info("http: serving on %s", self.url)

    async def stop(self) -> None:
        """Stop serving (requests in progress get the shutdown timeout to finish)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
