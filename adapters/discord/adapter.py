"""The Discord adapter: a discord.py client inside Herald's loop, slash commands, the Platform."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.discord.commands import CoreTranslator, command_hash, install_commands
from adapters.discord.config import DiscordConfig
from adapters.discord.interactions import ActionButton, InteractionRunner
from adapters.discord.logs import NOISE, quiet_discord_logs
from adapters.discord.platform import GLOBAL_REQUESTS_PER_SECOND, DiscordPlatform, RequestPacer
from adapters.discord.redact import install_redaction, redact
from bot.domain import ChatKind, ChatRef
from bot.ports import AdapterState, Core
from bot.readiness import Connection

log = logging.getLogger(__name__)

HASH_KEY = "discord.commands_hash"
MAX_BACKOFF = 300.0
# How long stop() waits for interactions already being answered (Discord's own deadline for
# a first answer is 3 s; a deferred one is finished by the core well within this).
ANSWERS_GRACE = 5.0


def point_at(config: DiscordConfig) -> None:
    """Aim discord.py's REST base and gateway at the configured URLs (proxies, tests)."""
    Route.BASE = config.api_url.rstrip("/")
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(config.gateway_url)


class HeraldClient(discord.Client):
    """discord.py's client with Herald's command tree and event handlers."""

    def __init__(self, adapter: DiscordAdapter) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(
            intents=intents,
            guild_ready_timeout=adapter.config.guild_ready_timeout,
            max_ratelimit_timeout=30.0,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.adapter = adapter
        self.runner = adapter.runner
        self.tree: app_commands.CommandTree[HeraldClient] = app_commands.CommandTree(self)
        install_commands(self.tree, adapter.core, adapter.runner)

    async def setup_hook(self) -> None:
        """Buttons survive restarts; command descriptions come translated from the core."""
        self.add_dynamic_items(ActionButton)
        await self.tree.set_translator(CoreTranslator(self.adapter.core))

    async def on_ready(self) -> None:
        """Connected and every guild received."""
        NOISE.connected()
        self.adapter.connected()

    async def on_guild_available(self, guild: discord.Guild) -> None:
        """A guild arrived (GUILD_CREATE): remember its channels."""
        self.adapter.remember(guild)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        """The bot was added to a guild."""
        self.adapter.remember(guild)

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """The bot was removed (not an outage: discord.py reports those as unavailable)."""
        await self.adapter.guild_removed(guild.id)

    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        """A channel was deleted: it cannot receive announcements any more."""
        await self.adapter.channel_gone(channel.id, "channel deleted")


class DiscordAdapter(DiscordPlatform):
    """Herald on Discord: receives slash commands, delivers announcements (the Adapter port)."""

    def __init__(
        self,
        core: Core,
        config: DiscordConfig,
        *,
        state: AdapterState,
        defer_after: float = 2.0,
    ) -> None:
        install_redaction(config.token)
        quiet_discord_logs()
        self.core = core
        # Remembers the hash of the synced slash commands: unchanged commands are not synced.
        self.state = state
        self.config = config
        self.request_timeout = config.request_timeout
        self.pacer = RequestPacer(GLOBAL_REQUESTS_PER_SECOND / config.processes)
        self.runner = InteractionRunner(core, defer_after=defer_after)
        self.client: HeraldClient | None = None
        self.ready = asyncio.Event()
        self._token_rejected = False
        self.guild_channels: dict[int, set[int]] = {}
        self._channel_types: dict[int, discord.ChannelType] = {}
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._stopped = asyncio.Event()
        self._sync_task: asyncio.Task[None] | None = None

    # ----- lifecycle -----

    async def start(self) -> None:
        """Connect in a background task; return once READY (or after `start_timeout`)."""
        point_at(self.config)
        outage = NOISE.watch()
        self._stopping = False
        self._stopped.clear()
        self._sync_task = None
        self._task = asyncio.create_task(self._run(), name="herald-discord")
        ready = asyncio.create_task(self.ready.wait())
        failed = asyncio.create_task(outage.wait())
        # Herald goes on starting its other parts as soon as Discord is up or known to be down.
        done, _ = await asyncio.wait(
            {ready, failed, self._task},
            timeout=self.config.start_timeout,
            return_when=asyncio.FIRST_COMPLETED,
        )
        failed.cancel()
        if ready not in done:
            ready.cancel()
            if not done:
                log.warning("Discord is not ready yet; still connecting in the background")
            return
        if self._sync_task is not None:
            await self._sync_task

    async def start_sending(self) -> None:
        """Log in over REST only (no gateway, no command sync); if Discord is down, keep trying."""
        point_at(self.config)
        self._stopping = False
        self._stopped.clear()
        first_attempt = asyncio.Event()
        self._task = asyncio.create_task(
            self._login_until_done(first_attempt), name="herald-discord-rest"
        )
        await first_attempt.wait()

    async def _login_until_done(self, first_attempt: asyncio.Event) -> None:
        """Send-only login with backoff; one log line per outage; never raises into Herald."""
        backoff = 1.0
        reported = False
        try:
            while not self._stopping:
                client = HeraldClient(self)
                self.client = client
                try:
                    await client.login(self.config.token)
                except discord.LoginFailure:
                    self._token_rejected = True
                    log.error(
                        "Discord rejected the bot token (HERALD_DISCORD_TOKEN); Discord is off"
                    )
                    await client.close()
                    return
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    with contextlib.suppress(Exception):
                        await client.close()
                    if not reported:
                        reported = True
                        log.error(
                            "Discord unreachable at %s (%s); retrying in the background",
                            self.config.api_url,
                            redact(f"{type(exc).__name__}: {exc}"),
                        )
                    log.debug("Discord login attempt failed", exc_info=True)
                else:
                    self.ready.set()
                    log.info("Discord: logged in as %s over REST (sending only)", client.user)
                    return
                finally:
                    first_attempt.set()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopped.wait(), backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
        finally:
            first_attempt.set()

    def connection(self) -> Connection:
        """Connected, still connecting, or off for good because Discord rejected the token."""
        if self._token_rejected:
            return Connection.TOKEN_REJECTED
        return Connection.CONNECTED if self.ready.is_set() else Connection.CONNECTING

    def connected(self) -> None:
        """READY and the guilds arrived; check the slash commands once per run."""
        self.ready.set()
        if self._sync_task is None:
            self._sync_task = asyncio.create_task(self._sync_once(), name="herald-discord-sync")

    async def _sync_once(self) -> None:
        try:
            await self.maybe_sync_commands()
        except Exception as exc:
            log.error("Discord command sync failed: %s", redact(f"{type(exc).__name__}: {exc}"))

    async def stop_receiving(self) -> None:
        """Close the gateway (no new interactions); REST stays open for sends and answers.

        Interactions already dispatched are still answered, and deliveries in flight finish,
        until stop().
        """
        self._stopping = True
        self._stopped.set()
        if self._sync_task is not None and not self._sync_task.done():
            self._sync_task.cancel()
        task, self._task = self._task, None
        if task is not None and not task.done():
            # Cancelling connect() leaves the socket open: close it ourselves, cleanly (1000),
            # so Discord ends the session rather than waiting to resume it.
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        ws = getattr(self.client, "ws", None)
        if ws is not None and ws.open:
            try:
                await ws.close(code=1000)
            except Exception as exc:
                log.debug("Discord gateway close: %s", exc)
            log.info("Discord: gateway closed; no new commands are taken")

    async def stop(self) -> None:
        """Close the gateway and the HTTP session (after the answers being given, briefly)."""
        self._stopping = True
        self._stopped.set()
        if self._sync_task is not None and not self._sync_task.done():
            self._sync_task.cancel()
        if not await self.runner.idle(ANSWERS_GRACE):
            log.warning("Discord: stopping with interactions still unanswered")
        if self.client is not None:
            await self.client.close()
        if self._task is not None:
            # A client still sleeping between reconnects is cancelled rather than awaited.
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(self._task, 0.5)
            self._task = None
        self.ready.clear()

    async def _run(self) -> None:
        """Keep a client connected; retry with backoff; never raise into Herald."""
        backoff = 1.0
        while not self._stopping:
            client = HeraldClient(self)
            self.client = client
            try:
                # Not `async with client`: on stop_receiving() the gateway goes, the HTTP
                # session stays for the sends still in flight (stop() closes it).
                await client.login(self.config.token)
                await client.connect(reconnect=True)
            except discord.LoginFailure:
                self._token_rejected = True
                log.error("Discord rejected the bot token (HERALD_DISCORD_TOKEN); Discord is off")
                await client.close()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                with contextlib.suppress(Exception):
                    await client.close()
                # discord.py gives up on a gateway it never reached with an AttributeError,
                # so every failure here is treated alike: one line per outage, then retries.
                if self._stopping:
                    return
                if self.ready.is_set():
                    NOISE.connected()
                    backoff = 1.0
                if not NOISE.reported:
                    NOISE.report()
                    log.error(
                        "Discord unreachable at %s (%s); retrying in the background",
                        self.config.api_url,
                        redact(f"{type(exc).__name__}: {exc}"),
                    )
                log.debug("Discord connection attempt failed", exc_info=True)
            if self._stopping:
                return
            self.ready.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)

    # ----- command sync -----

    async def maybe_sync_commands(self) -> bool:
        """Sync slash commands when the mode says so and their hash changed; True if synced."""
        mode = self.config.sync_commands
        if mode == "never" or self.client is None:
            return False
        digest = await command_hash(self.client.tree)
        if mode == "auto" and await self.state.get(HASH_KEY) == digest:
            return False
        await self._sync(self.client)
        return True

    async def sync_commands(self) -> int:
        """Bulk-overwrite the global slash commands now (logging in if needed); how many."""
        if self.client is not None and self.client.user is not None:
            return await self._sync(self.client)
        point_at(self.config)
        client = HeraldClient(self)
        async with client:
            await client.login(self.config.token)
            return await self._sync(client)

    async def _sync(self, client: HeraldClient) -> int:
        synced = await client.tree.sync()
        await self.state.set(HASH_KEY, await command_hash(client.tree))
        log.info("synced %d Discord slash commands", len(synced))
        return len(synced)

    # ----- guilds -----

    def remember(self, guild: discord.Guild) -> None:
        """Keep the guild's text and announcement channels, to deactivate them if it leaves."""
        kinds = (discord.TextChannel,)
        self.guild_channels[guild.id] = {c.id for c in guild.channels if isinstance(c, kinds)}

    async def guild_removed(self, guild_id: int) -> None:
        """The bot left or was removed: its channels stop being targets (settings are kept)."""
        for channel_id in sorted(self.guild_channels.pop(guild_id, set())):
            await self.channel_gone(channel_id, "removed from the server")

    async def channel_gone(self, channel_id: int, reason: str) -> None:
        """Tell the core a channel can no longer receive messages."""
        for channels in self.guild_channels.values():
            channels.discard(channel_id)
        chat = ChatRef("discord", str(channel_id), ChatKind.GUILD_CHANNEL)
        try:
            await self.core.chat_left(chat, reason)
        except Exception:
            log.exception("could not record that Discord channel %s is gone", channel_id)

    def __repr__(self) -> str:
        return f"DiscordAdapter(api_url={self.config.api_url!r})"
