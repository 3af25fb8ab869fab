"""The composition root: settings → engine → repository → services → delivery → adapters."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.commands.context import Services
from bot.commands.router import CommandRouter
from bot.commands.throttle import BucketSize, CommandThrottle
from bot.delivery import DeliveryConfig, DeliveryEngine, delivery_status
from bot.delivery.notices import photo_note, tell_owners_of_refused_photos
from bot.feeds.entries import FeedParser
from bot.feeds.notices import PlatformNotices
from bot.feeds.scheduler import FeedScheduler
from bot.feeds.service import FeedService
from bot.i18n import translate
from bot.memory import settled_memory
from bot.metrics import Metrics, NoMetrics
from bot.ports import Adapter, Clock, Platform, SystemClock
from bot.readiness import Connected, Connection, Readiness, Receiving
from bot.schedule.occurrences import LeapPolicy
from bot.schedule.scheduler import HeraldScheduler
from bot.services.access import AccessService
from bot.services.anniversaries import AnniversaryService
from bot.services.announcements import AnnouncementService
from bot.services.chats import ChatService
from bot.settings import Settings
from storage.engine import DATABASE_ERRORS
from storage.leadership import LOCK_KEY, AdvisoryLock
from storage.repository import Repository, ready_engine

if TYPE_CHECKING:
    from adapters.http import HttpServer, RouteInstaller
    from adapters.http.metrics import PrometheusMetrics
    from adapters.http.site import SiteRoutes

log = logging.getLogger("herald")

Role = Literal["all", "worker"]


class StartupError(Exception):
    """Herald cannot run as configured; the message says what to fix (exit `code`)."""

    def __init__(self, message: str, *, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Herald:
    """Everything Herald is made of, built once and handed around by constructor."""

    settings: Settings
    engine: AsyncEngine
    repository: Repository
    clock: Clock
    services: Services
    router: CommandRouter
    adapters: list[Adapter] = field(default_factory=list)
    delivery: DeliveryEngine | None = None
    scheduler: HeraldScheduler | None = None
    http: HttpServer | None = None
    metrics: Metrics = field(default_factory=NoMetrics)
    feeds: FeedService | None = None
    feed_scheduler: FeedScheduler | None = None
    # Closed with Herald (the feed fetcher's connections).
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # Set when a stop begins: /readyz answers 503 from then on.
    stopping: bool = False
    # Set once `run` has started everything: /readyz answers 503 until then.
    started: bool = False

    def wake_delivery(self) -> None:
        """Tell the delivery engine there are new rows (after a commit)."""
        if self.delivery is not None:
            self.delivery.wake()

    async def delivery_counts(self, announcement_id: int | None) -> Mapping[str, Mapping[str, int]]:
        """Rows per platform and state, for /stats."""
        status = await delivery_status(self.repository.outbox, announcement_id)
        return {
            platform: {
                state: getattr(counts, state)
                for state in ("sent", "pending", "failed", "dead", "skipped")
                if getattr(counts, state)
            }
            for platform, counts in status.platforms.items()
        }

    def start_delivery(self, platforms: Mapping[str, Platform]) -> DeliveryEngine:
        """Build the delivery engine for the running platforms."""
        # Each platform's rate and requests in flight are its own limits (Platform.limits):
        # Telegram's come from TelegramConfig (broadcast_rate, connection_pool_size).
        config = DeliveryConfig(
            rate_share=1.0 / self.settings.delivery_processes,
            language=self.settings.language,
            public_url=self.settings.public_url,
            retraction_text=lambda language: translate(
                language, "This announcement was withdrawn."
            ),
            photo_note=photo_note,
            photo_refused=tell_owners_of_refused_photos(
                platforms, self.settings.owners, self.settings.language
            ),
        )
        self.delivery = DeliveryEngine(
            self.repository.outbox, platforms, self.clock, config, self.metrics
        )
        return self.delivery

    async def close(self) -> None:
        """Stop receiving, the scheduler, delivery (in-flight sends finish), then adapters."""
        self.stopping = True
        if self.delivery is not None:
            # At once, not after receiving stopped: no new send starts once the stop began.
            self.delivery.stop_sending()
        for receiver in self.adapters:
            if isinstance(receiver, Receiving):
                try:
                    await receiver.stop_receiving()
                except Exception as exc:
                    log.warning("%s: stopping updates failed: %s", receiver.name, exc)
        if self.feed_scheduler is not None:
            await self.feed_scheduler.stop()
        if self.scheduler is not None:
            await self.scheduler.stop()
        if self.delivery is not None:
            await self.delivery.stop()
        for adapter in reversed(self.adapters):
            with contextlib.suppress(Exception):
                await adapter.stop()
        if self.http is not None:
            await self.http.stop()
        for close in self.closers:
            with contextlib.suppress(Exception):
                await close()
        await self.engine.dispose()

    def start_feeds(self) -> FeedScheduler | None:
        """The feed polling jobs, run while this replica leads the scheduler."""
        if self.feeds is None or self.scheduler is None:
            return None
        scheduler = self.scheduler
        self.feed_scheduler = FeedScheduler(
            self.feeds,
            self.clock,
            leading=lambda: scheduler.leading,
            database_errors=DATABASE_ERRORS,
        )
        return self.feed_scheduler


async def open_herald(
    settings: Settings, *, clock: Clock | None = None, metrics: Metrics | None = None
) -> Herald:
    """Connect to the database (migrating SQLite; PostgreSQL must be upgraded explicitly)."""
    clock = clock or SystemClock()
    metrics = metrics or NoMetrics()
    engine = await ready_engine(settings.database_url)
    repository = Repository.for_engine(engine)
    herald: Herald | None = None

    def notify() -> None:
        if herald is not None:
            herald.wake_delivery()

    def anniversaries_changed() -> None:
        if herald is not None and herald.scheduler is not None:
            herald.scheduler.rebuild()

    async def stats(announcement_id: int | None) -> Mapping[str, Mapping[str, int]]:
        assert herald is not None
        return await herald.delivery_counts(announcement_id)

    announcements = AnnouncementService(
        repository.announcements,
        clock,
        notify,
        page_size=settings.page_size,
        views=repository.site,
        tag_limits=settings.tag_limits,
    )
    anniversaries = AnniversaryService(
        repository.anniversaries,
        clock,
        zone=settings.zone,
        at=settings.reminder_at,
        reminder_days=settings.reminder_days,
        policy=LeapPolicy(settings.leap_day),
        changed=anniversaries_changed,
    )
    access = AccessService(settings.owners, repository.admins)

    async def feed_admins() -> list[str]:
        return [*settings.owners, *await access.admins()]

    def running_platforms() -> dict[str, Platform]:
        return {} if herald is None else {a.name: a for a in herald.adapters}

    from adapters.feeds import HttpFetcher, user_agent

    fetcher = HttpFetcher(user_agent(herald_version(), settings.public_url), clock=clock)
    feeds = FeedService(
        repository.feeds,
        fetcher,
        feed_parser(),
        clock,
        notices=PlatformNotices(running_platforms, feed_admins, settings.language),
        notify=notify,
        changed=announcements.forget_listings,
        tag_limits=settings.tag_limits,
    )
    services = Services(
        announcements=announcements,
        chats=ChatService(
            repository.chats, clock, settings.language, tag_limits=settings.tag_limits
        ),
        anniversaries=anniversaries,
        access=access,
        zone=settings.zone,
        clock=clock,
        delivery_stats=stats,
        public_url=settings.public_url,
        feeds=feeds,
    )
    herald = Herald(
        settings=settings,
        engine=engine,
        repository=repository,
        clock=clock,
        services=services,
        router=CommandRouter(services, command_throttle(settings), metrics),
        scheduler=HeraldScheduler(
            occurrences=repository.occurrences,
            leadership=AdvisoryLock(engine),
            anniversaries=anniversaries,
            announcements=announcements,
            clock=clock,
            grace=settings.grace,
            language=settings.language,
            notify=notify,
            database_errors=DATABASE_ERRORS,
            metrics=metrics,
        ),
        metrics=metrics,
        feeds=feeds,
        closers=[fetcher.close],
    )
    return herald


def feed_parser() -> FeedParser:
    """What reads feeds and pages: bot.feeds.content (its functions make the FeedParser)."""
    from bot.feeds import content

    return content


def command_throttle(settings: Settings) -> CommandThrottle:
    """Per-user command limits from settings (admins get their own, larger bucket)."""
    return CommandThrottle(
        BucketSize(settings.command_burst, settings.command_interval),
        BucketSize(settings.admin_command_burst, settings.admin_command_interval),
    )


def platform_adapters(herald: Herald) -> list[Adapter]:
    """The chat platforms configured by settings (Telegram, Discord)."""
    settings = herald.settings
    adapters: list[Adapter] = []
    if settings.telegram_token is not None:
        from adapters.telegram.wiring import telegram_adapter

        repository = herald.repository
        adapters.append(
            telegram_adapter(
                herald.router, repository.state, settings, file_ids=repository.file_ids
            )
        )
    if settings.discord_token is not None:
        from adapters.discord.wiring import discord_adapter

        adapters.append(discord_adapter(herald.router, herald.repository.state, settings))
    return adapters


def platform_connections(herald: Herald) -> list[Connected]:
    """The running chat platforms that report their connection (the console does not)."""
    return [adapter for adapter in herald.adapters if isinstance(adapter, Connected)]


def http_installers(herald: Herald, role: Role = "all") -> list[RouteInstaller]:
    """Everything the HTTP server serves besides /healthz; add new route installers here."""
    from adapters.http.wiring import ops_routes
    from storage.probes import DatabaseProbe

    probe = DatabaseProbe(herald.engine, leader_lock_key=LOCK_KEY)
    readiness = Readiness(
        probe,
        herald.clock,
        platforms=lambda: platform_connections(herald),
        # Workers only deliver: the scheduler is the `--role all` process's.
        scheduler=herald.scheduler if role == "all" else None,
        max_due_age=herald.settings.ready_max_delay_time,
        stopping=lambda: herald.stopping,
        started=lambda: herald.started,
    )
    return [*ops_routes(readiness, probe, herald.clock, herald.metrics), website(herald).register]


def website(herald: Herald) -> SiteRoutes:
    """The public website (pages, feeds, calendars) over the store, read-only but for views."""
    from adapters.http.site import SiteConfig, SiteRoutes
    from bot.site.service import SiteService
    from bot.site.views import ViewCounter

    settings, store = herald.settings, herald.repository.site
    service = SiteService(
        herald.repository.announcements,
        store,
        herald.services.anniversaries,
        herald.clock,
        zone=settings.zone,
        language=settings.language,
    )
    config = SiteConfig(
        language=settings.language,
        zone=settings.zone,
        public_url=settings.public_url,
        name=settings.site_name,
    )
    routes = SiteRoutes(service, ViewCounter(store, herald.clock, settings.zone), config)
    # A change made in this process shows at once; another process's within two seconds.
    herald.services.announcements.on_change(routes.forget)
    return routes


def herald_version() -> str:
    """The installed Herald's version."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("herald")
    except PackageNotFoundError:
        return "unknown"


@runtime_checkable
class SharesHttp(Protocol):
    """An adapter that receives on Herald's HTTP server (the Telegram webhook)."""

    def webhook_route(self) -> RouteInstaller | None:
        """The route to add to the server; None when it has no route there."""
        ...


def webhook_routes(adapters: Sequence[Adapter]) -> list[RouteInstaller]:
    """The receiving routes the adapters serve on HERALD_HTTP_LISTEN."""
    routes = [a.webhook_route() for a in adapters if isinstance(a, SharesHttp)]
    return [route for route in routes if route is not None]


def webhook_without_server(settings: Settings) -> str | None:
    """Why a Telegram webhook has nowhere to listen (shared, but HTTP is off); None if fine."""
    shared = not (settings.telegram_webhook_listen or "").strip()
    if not (settings.telegram_token and settings.telegram_webhook_url and shared):
        return None
    if settings.http_address is not None:
        return None
    return (
        "HERALD_TELEGRAM_WEBHOOK_URL is set but HERALD_HTTP_LISTEN is off: the webhook is "
        "served by the HTTP server; turn it on, or set HERALD_TELEGRAM_WEBHOOK_LISTEN to give "
        "the webhook a listener of its own"
    )


async def start_http(
    herald: Herald, role: Role = "all", extra: Sequence[RouteInstaller] = ()
) -> HttpServer | None:
    """Serve HTTP on HERALD_HTTP_LISTEN (None when it is off); StartupError if it cannot bind."""
    address = herald.settings.http_address
    if address is None:
        return None
    from adapters.http import HttpServer

    server = HttpServer(*address, [*http_installers(herald, role), *extra])
    try:
        await server.start()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise StartupError(
            f"cannot listen on {herald.settings.http_listen} (HERALD_HTTP_LISTEN): {reason}"
        ) from None
    herald.http = server
    return server


async def run(
    settings: Settings, *, role: Role = "all", console: bool = False, clock: Clock | None = None
) -> int:
    """Run Herald until interrupted (or, for a piped console, until its input ends)."""
    if role == "all" and (problem := webhook_without_server(settings)):
        raise StartupError(problem, code=2)
    metrics: PrometheusMetrics | None = None
    if settings.http_address is not None:
        from adapters.http.metrics import PrometheusMetrics

        metrics = PrometheusMetrics(version=herald_version(), role=role)
    herald = await open_herald(settings, clock=clock, metrics=metrics)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    watch: asyncio.Task[None] | None = None
    try:
        adapters = platform_adapters(herald)
        if role == "worker" and not adapters:
            raise StartupError(
                "a worker delivers to Telegram or Discord, and neither is configured: "
                "set HERALD_TELEGRAM_TOKEN or HERALD_DISCORD_TOKEN",
                code=2,
            )
        # Receiving is the `--role all` process's: a worker serves no webhook.
        await start_http(herald, role, webhook_routes(adapters) if role == "all" else ())
        console_adapter = None
        if role == "all" and (console or not adapters):
            from adapters.console.adapter import ConsoleAdapter

            console_adapter = ConsoleAdapter(herald.router, on_eof=stop.set)
            adapters.append(console_adapter)
        herald.adapters = adapters
        platforms: dict[str, Platform] = {adapter.name: adapter for adapter in adapters}
        if metrics is not None:
            metrics.known_platforms(list(platforms))
        delivery = herald.start_delivery(platforms)
        # Everything is built: settle memory before the first update or delivery arrives.
        with settled_memory():
            for adapter in adapters:
                if role == "all":
                    await adapter.start()
                else:
                    # A worker only delivers: receiving stays with the `--role all` process.
                    await adapter.start_sending()
            # After the adapters connected: a send before that fails and waits out a backoff,
            # and a restart after a crash must resume at once.
            await delivery.start()
            if console_adapter is None:
                rejected = nothing_to_do(herald)
                if rejected:
                    raise StartupError(rejected)
                watch = asyncio.create_task(_watch_tokens(herald, stop))
            if herald.scheduler is not None and role == "all":
                # After the adapters: its catch-up sweep may fire at once. Workers only deliver.
                await herald.scheduler.start()
                # After the scheduler's first sweep: on SQLite that sweep makes it the leader.
                feed_jobs = herald.start_feeds()
                if feed_jobs is not None:
                    await feed_jobs.start()
            log.info("%s", await startup_line(herald, role, list(platforms)))
            herald.started = True
            await stop.wait()
            if watch is not None and watch.done() and (rejected := nothing_to_do(herald)):
                raise StartupError(rejected)
            if console_adapter is not None and not console_adapter.interactive:
                # Piped input: let what was just posted go out before leaving.
                await delivery.run_until_idle(timeout=30)
    finally:
        if watch is not None:
            watch.cancel()
        await herald.close()
    return 0


async def startup_line(herald: Herald, role: Role, platforms: list[str]) -> str:
    """The one line that says what this process is: version, database, schema, platforms, ports."""
    from storage.engine import safe_url
    from storage.migrate import current_revision

    settings = herald.settings
    listening = []
    if settings.http_address is not None:
        listening.append(f"http on {settings.http_listen}")
    if settings.telegram_token and settings.telegram_webhook_url and role == "all":
        where = settings.telegram_webhook_listen or settings.http_listen
        listening.append(f"telegram webhook on {where}")
    return (
        f"Herald running: version {herald_version()}, role {role}, "
        f"database {safe_url(settings.database_url)} at schema "
        f"{await current_revision(herald.engine)}, platforms {', '.join(platforms) or 'none'}, "
        f"listening {'; '.join(listening) or 'nowhere'}"
    )


def nothing_to_do(herald: Herald) -> str | None:
    """Why this process cannot work when every platform refused its token; None otherwise."""
    platforms = platform_connections(herald)
    if not platforms or any(p.connection() is not Connection.TOKEN_REJECTED for p in platforms):
        return None
    variables = {"telegram": "HERALD_TELEGRAM_TOKEN", "discord": "HERALD_DISCORD_TOKEN"}
    names = ", ".join(f"{p.name} ({variables.get(p.name, 'its token')})" for p in platforms)
    return f"every configured platform rejected its token: {names}; nothing to do"


async def _watch_tokens(herald: Herald, stop: asyncio.Event, every: float = 2.0) -> None:
    """Stop the process once every platform has refused its token (a late first connect)."""
    while not stop.is_set():
        await asyncio.sleep(every)
        if nothing_to_do(herald):
            stop.set()
            return
