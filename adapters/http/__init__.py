"""Herald's one HTTP server: health, readiness, metrics, and whatever else is mounted on it.

How to add routes: write a `RouteInstaller`, a callable that receives the server's
`aiohttp.web.Application` before it starts and adds routes to it (or mounts a sub-application
with `app.add_subapp(prefix, sub)`). The composition root (`bot/app.py`, `http_installers`)
builds the list of installers and hands it to `HttpServer`; nothing registers itself at
import time, and an installer never touches storage: it gets the services it needs from the
composition root, by closure or constructor.
"""

from adapters.http.server import HttpServer, RouteInstaller

__all__ = ["HttpServer", "RouteInstaller"]
