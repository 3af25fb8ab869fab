"""The society's public website: pages, feeds and calendars, registered on Herald's HTTP server."""

from adapters.http.site.routes import SiteRoutes
from adapters.http.site.visit import SiteConfig

__all__ = ["SiteConfig", "SiteRoutes"]
