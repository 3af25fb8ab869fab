"""The composition root: settings → engine → repository → services → delivery → adapters."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.commands.context import Services
from bot.commands.router import CommandRouter
from bot.commands.throttle import BucketSize, CommandThrottle
from bot.delivery import DeliveryConfig, DeliveryEngine, delivery_status
from bot.delivery.notices import photo_note, tell_owners_of_refused_photos
from bot.i18n import translate
from bot.memory import settled_memory
from bot.ports import Adapter, Clock, Platform, SystemClock
from bot.schedule.occurrences import LeapPolicy
from bot.schedule.scheduler import HeraldScheduler
from bot.services.access import AccessService
from bot.services.anniversaries import AnniversaryService
from bot.services.announcements import AnnouncementService
from bot.services.chats import ChatService
from bot.settings import Settings
from storage.engine import create_engine
from storage.migrate import ensure_schema
from storage.repository import Repository

if TYPE_CHECKING:
    from adapters.http import HttpServer, RouteInstaller

log = logging.getLogger("herald")

Role = Literal["all", "worker"]


class StartupError(Exception):
    """Herald cannot run as configured; the message says what to fix (exit 1)."""


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

    def wake_delivery(self) -> None:
        """Tell the delivery engine there are new rows (after a commit)."""
        if self.delivery is not None:
            self.delivery.wake()

    async def delivery_counts(
        self, announcement_id: int | None
    ) -> Mapping[str, Mapping[str, int]]:
        """Rows per platform and state, for /stats."""
        status = await delivery_status(self.repository.sessions, announcement_id)
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
        rates: dict[str, float] = {}
        if "telegram" in platforms:
            rate = self.settings.telegram_rate
            rates["telegram"] = 1000.0 if self.settings.telegram_paid_broadcast else rate
        config = DeliveryConfig(
            rates=rates,
            # Equal to TelegramConfig.connection_pool_size: more would wait on the pool.
            concurrency=100,
            rate_share=1.0 / self.settings.delivery_processes,
            language=self.settings.language,
            retraction_text=lambda language: translate(
                language, "This announcement was withdrawn."
            ),
            photo_note=photo_note,
            photo_refused=tell_owners_of_refused_photos(
                platforms, self.settings.owners, self.settings.language
            ),
        )
        self.delivery = DeliveryEngine(self.repository.sessions, platforms, self.clock, config)
        return self.delivery

    async def close(self) -> None:
        """Stop the scheduler, then delivery (in-flight sends finish), then adapters."""
        if self.scheduler is not None:
            await self.scheduler.stop()
        if self.delivery is not None:
            await self.delivery.stop()
        for adapter in reversed(self.adapters):
            with contextlib.suppress(Exception):
                await adapter.stop()
        if self.http is not None:
            await self.http.stop()
        await self.engine.dispose()


async def open_herald(settings: Settings, *, clock: Clock | None = None) -> Herald:
    """Connect to the database (migrating SQLite; PostgreSQL must be upgraded explicitly)."""
    clock = clock or SystemClock()
    engine = create_engine(settings.database_url)
    try:
        is_sqlite = engine.dialect.name == "sqlite"
        await ensure_schema(engine, auto_upgrade=is_sqlite)
    except BaseException:
        await engine.dispose()
        raise
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
        repository.announcements, clock, notify, page_size=settings.page_size
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
    services = Services(
        announcements=announcements,
        chats=ChatService(repository.chats, clock, settings.language),
        anniversaries=anniversaries,
        access=AccessService(settings.owners, repository.admins),
        zone=settings.zone,
        clock=clock,
        delivery_stats=stats,
    )
    herald = Herald(
        settings=settings,
        engine=engine,
        repository=repository,
        clock=clock,
        services=services,
        router=CommandRouter(services, command_throttle(settings)),
        scheduler=HeraldScheduler(
            engine=engine,
            sessions=repository.sessions,
            anniversaries=anniversaries,
            announcements=announcements,
            clock=clock,
            grace=settings.grace,
            language=settings.language,
            notify=notify,
        ),
    )
    return herald


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

        adapters.append(telegram_adapter(herald.router, herald.repository.state, settings))
    if settings.discord_token is not None:
        from adapters.discord.wiring import discord_adapter

        adapters.append(discord_adapter(herald.router, herald.repository.state, settings))
    return adapters


def http_installers(herald: Herald) -> list[RouteInstaller]:
    """Everything the HTTP server serves besides /healthz; add new route installers here."""
    return []


async def start_http(herald: Herald) -> HttpServer | None:
    """Serve HTTP on HERALD_HTTP_LISTEN (None when it is off); StartupError if it cannot bind."""
    address = herald.settings.http_address
    if address is None:
        return None
    from adapters.http import HttpServer

    server = HttpServer(*address, http_installers(herald))
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
    herald = await open_herald(settings, clock=clock)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    try:
        await start_http(herald)
        adapters = platform_adapters(herald)
        console_adapter = None
        if role == "all" and (console or not adapters):
            from adapters.console.adapter import ConsoleAdapter

            console_adapter = ConsoleAdapter(herald.router, on_eof=stop.set)
            adapters.append(console_adapter)
        herald.adapters = adapters
        platforms: dict[str, Platform] = {adapter.name: adapter for adapter in adapters}
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
            if herald.scheduler is not None and role == "all":
                # After the adapters: its catch-up sweep may fire at once. Workers only deliver.
                await herald.scheduler.start()
            names = ", ".join(platforms) or "none"
            log.info("Herald running (role %s; platforms: %s)", role, names)
            await stop.wait()
            if console_adapter is not None and not console_adapter.interactive:
                # Piped input: let what was just posted go out before leaving.
                await delivery.run_until_idle(timeout=30)
    finally:
        await herald.close()
    return 0
