"""The Platform port on Discord: send, edit and delete announcements as embeds, errors mapped."""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

import aiohttp
import discord

from adapters.discord.interactions import action_view
from adapters.discord.redact import redact
from adapters.discord.render import CONTENT_LIMIT, EMBED_TOTAL_LIMIT, MessagePart, render_message
from bot.domain import ChatKind
from bot.formatting import Photo
from bot.ports import (
    BadMessage,
    DeliveryError,
    OutboundMessage,
    PlatformLimits,
    RetryLater,
    Target,
    TargetGone,
    Transient,
)
from bot.replies import Button

log = logging.getLogger(__name__)
T = TypeVar("T")

NO_MENTIONS = discord.AllowedMentions.none()
UNKNOWN_MESSAGE = 10008
NONCE_LENGTH = 25
# Discord allows 50 requests per second per bot; a crosspost or a long post takes several.
GLOBAL_REQUESTS_PER_SECOND = 50.0 * 0.95

LIMITS = PlatformLimits(
    text_length=CONTENT_LIMIT,
    caption_length=EMBED_TOTAL_LIMIT,
    messages_per_second=50.0,
    # Discord's per-channel buckets are about 5 messages per 5 seconds.
    private_chat_interval=1.0,
    group_per_minute=60,
    delete_window_seconds=None,
)


class RequestPacer:
    """Spaces request starts evenly so Herald stays under Discord's global requests per second."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second
        self._next = 0.0

    async def wait(self) -> None:
        """Wait for this request's slot."""
        now = asyncio.get_running_loop().time()
        start = max(now, self._next)
        self._next = start + self.interval
        if start > now:
            await asyncio.sleep(start - now)


def nonce_for(key: str, part: int) -> str:
    """A nonce (Discord allows 25 characters) derived from the delivery key and the part."""
    return hashlib.sha256(f"{key}#{part}".encode()).hexdigest()[:NONCE_LENGTH]


def map_error(exc: BaseException) -> DeliveryError:
    """A discord.py or network error as the port's neutral error."""
    if isinstance(exc, DeliveryError):
        return exc
    if isinstance(exc, discord.RateLimited):
        return RetryLater(exc.retry_after)
    if isinstance(exc, discord.Forbidden | discord.NotFound):
        return TargetGone(redact(f"discord {exc.status} ({exc.code}): {exc.text}"))
    if isinstance(exc, discord.DiscordServerError):
        return Transient(redact(f"discord {exc.status}: {exc.text}"))
    if isinstance(exc, discord.HTTPException):
        if exc.status == 429:
            # A 429 without Discord's headers: Cloudflare is refusing us; back off globally.
            return RetryLater(60.0, is_global=True)
        if exc.status >= 500 or exc.status == 401:
            return Transient(redact(f"discord {exc.status}: {exc.text}"))
        return BadMessage(redact(f"discord {exc.status} ({exc.code}): {exc.text}"))
    if isinstance(exc, TimeoutError | aiohttp.ClientError | OSError):
        return Transient(redact(f"{type(exc).__name__}: {exc}"))
    return Transient(redact(f"{type(exc).__name__}: {exc}"))


def _with_photo(message: OutboundMessage) -> list[MessagePart]:
    """The rendered parts; with a photo, the first embed shows the first part's attachment."""
    parts = render_message(message)
    if message.photo is not None and parts and parts[0].embeds:
        parts[0].embeds[0].set_image(url=f"attachment://{message.photo.file_name}")
    return parts


class DiscordPlatform:
    """send/edit/delete over a logged-in discord.py client."""

    client: discord.Client | None
    request_timeout: float
    pacer: RequestPacer
    _channel_types: dict[int, discord.ChannelType]

    @property
    def name(self) -> str:
        """The platform's name."""
        return "discord"

    @property
    def limits(self) -> PlatformLimits:
        """Discord's limits: 2000 content, 6000 per message in embeds, 50 requests/s."""
        return LIMITS

    def _client(self) -> discord.Client:
        if self.client is None or self.client.user is None:
            raise Transient("not connected to Discord yet")
        return self.client

    async def _call(self, call: Coroutine[Any, Any, T]) -> T:
        try:
            await self.pacer.wait()
        except BaseException:
            call.close()
            raise
        try:
            async with asyncio.timeout(self.request_timeout):
                return await call
        except Exception as exc:
            raise map_error(exc) from exc

    def _channel(self, target: Target) -> discord.PartialMessageable:
        try:
            channel_id = int(target.external_id)
        except ValueError:
            raise TargetGone(f"not a Discord channel id: {target.external_id!r}") from None
        return self._client().get_partial_messageable(channel_id)

    async def _send_channel(
        self, target: Target
    ) -> discord.PartialMessageable | discord.DMChannel:
        """The channel to send to; a PRIVATE target is a user (an owner's or admin's notice,
        addressed as `discord:USER_ID`), reached through the DM channel opened with them."""
        if target.kind is not ChatKind.PRIVATE:
            return self._channel(target)
        try:
            user_id = int(target.external_id)
        except ValueError:
            raise TargetGone(f"not a Discord user id: {target.external_id!r}") from None
        return await self._call(self._client().create_dm(discord.Object(id=user_id)))

    async def _is_announcement_channel(self, channel_id: int) -> bool:
        """From the guild cache, else asked once (a send may come before GUILD_CREATE)."""
        client = self._client()
        channel = client.get_channel(channel_id)
        if channel is not None:
            return isinstance(channel, discord.TextChannel) and channel.is_news()
        known = self._channel_types.get(channel_id)
        if known is None:
            try:
                fetched = await self._call(client.fetch_channel(channel_id))
            except DeliveryError as exc:
                log.debug("could not look up channel %s: %s", channel_id, exc)
                return False
            kind = getattr(fetched, "type", None)
            known = kind if isinstance(kind, discord.ChannelType) else discord.ChannelType.text
            self._channel_types[channel_id] = known
        return known is discord.ChannelType.news

    async def _send_part(
        self,
        channel: discord.PartialMessageable | discord.DMChannel,
        part: MessagePart,
        nonce: str,
        photo: Photo | None = None,
        actions: tuple[Button, ...] = (),
    ) -> str:
        # A fresh File per request: discord.py reads (and closes) the buffer it is given.
        extra: dict[str, Any] = {}
        if actions:
            extra["view"] = action_view(actions)
        if photo is not None:
            extra["file"] = discord.File(io.BytesIO(photo.data), filename=photo.file_name)
        sent = await self._call(
            channel.send(
                content=part.content or None,
                embeds=part.embeds,
                nonce=nonce,
                allowed_mentions=NO_MENTIONS,
                **extra,
            )
        )
        if not sent.flags.crossposted and await self._is_announcement_channel(channel.id):
            try:
                await self._call(sent.publish())
            except DeliveryError as exc:
                # The message is delivered in the channel; following servers miss this one.
                log.warning("could not crosspost message %s: %s", sent.id, exc)
        return str(sent.id)

    async def send(self, target: Target, message: OutboundMessage, *, key: str) -> list[str]:
        """Send the announcement as embeds; a resend with the same key returns the same ids."""
        channel = await self._send_channel(target)
        ids: list[str] = []
        for index, part in enumerate(_with_photo(message)):
            photo = message.photo if index == 0 else None
            actions = message.actions if index == 0 else ()
            ids.append(
                await self._send_part(channel, part, nonce_for(key, index), photo, actions)
            )
        return ids

    async def edit(
        self, target: Target, message_ids: list[str], message: OutboundMessage
    ) -> list[str]:
        """Edit the sent parts to show `message`; send or delete parts so the counts match."""
        channel = self._channel(target)
        # The photo stays attached to the first part through edits (no `attachments` sent),
        # unless the edit shows the first part with another photo, or none (see _follow_photo).
        parts = _with_photo(message)
        digest = hashlib.sha256(repr((message_ids, message)).encode()).hexdigest()
        ids: list[str] = []
        for index, part in enumerate(parts):
            if index < len(message_ids):
                partial = channel.get_partial_message(int(message_ids[index]))
                try:
                    edited = await self._call(
                        partial.edit(
                            content=part.content or None,
                            embeds=part.embeds,
                            allowed_mentions=NO_MENTIONS,
                        )
                    )
                    if index == 0:
                        await self._follow_photo(edited, message.photo)
                except TargetGone as exc:
                    if getattr(exc.__cause__, "code", None) != UNKNOWN_MESSAGE:
                        raise
                    raise BadMessage(f"message {message_ids[index]} no longer exists") from exc
                ids.append(message_ids[index])
            else:
                photo = message.photo if index == 0 else None
                ids.append(
                    await self._send_part(channel, part, nonce_for(digest, index), photo)
                )
        await self.delete(target, message_ids[len(parts) :])
        return ids

    async def _follow_photo(self, edited: discord.Message, photo: Photo | None) -> None:
        """Replace the first part's attachment when the announcement's photo changed (another
        file name or size) or went; one more request only then.

        Discord tells an attachment's name and size, not its content: a new image under the
        same name and of the very same size is taken for the old one.
        """
        shown = [(a.filename, a.size) for a in edited.attachments]
        if photo is None:
            if shown:
                await self._call(edited.edit(attachments=[]))
            return
        if shown == [(photo.file_name, len(photo.data))]:
            return
        upload = discord.File(io.BytesIO(photo.data), filename=photo.file_name)
        await self._call(edited.edit(attachments=[upload]))

    async def delete(self, target: Target, message_ids: list[str]) -> None:
        """Delete the sent parts; parts already gone count as deleted."""
        channel = self._channel(target)
        for message_id in message_ids:
            try:
                await self._call(channel.get_partial_message(int(message_id)).delete())
            except TargetGone as exc:
                if getattr(exc.__cause__, "code", None) != UNKNOWN_MESSAGE:
                    raise
