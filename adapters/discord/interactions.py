"""Interactions to core commands and back: build the Command, answer in 3 s, render the Reply."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import discord

from adapters.discord.render import render_reply
from bot.commands.types import Command
from bot.domain import ChatKind
from bot.formatting import Photo, Styles
from bot.i18n import N_, normalize_language, translate
from bot.ports import Core
from bot.replies import Button, Reply

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
CUSTOM_ID_LIMIT = 100
LABEL_LIMIT = 80
# Commands whose answers concern only the person asking.
PERSONAL = frozenset({"subscriptions", "stats"})
ANSWER_WITHIN = 600.0


def command_name(text: str) -> str:
    """`/tag Friends 2` → `tag`."""
    return text.lstrip("/").split(maxsplit=1)[0].lower() if text.strip("/ ") else ""


def is_chat_admin(interaction: discord.Interaction[Any]) -> bool:
    """Manage Channels in this channel; everyone administers their own DM."""
    if interaction.guild_id is None:
        return True
    return interaction.permissions.manage_channels


def chat_title(interaction: discord.Interaction[Any]) -> str | None:
    """`Guild #channel` for guild channels, the user's name for a DM."""
    channel = interaction.channel
    if interaction.guild_id is None:
        return f"DM {interaction.user.name}"
    name = getattr(channel, "name", None)
    guild = interaction.guild
    if guild is not None and guild.name and name:
        return f"{guild.name} #{name}"
    return f"#{name}" if name else None


def user_language(interaction: discord.Interaction[Any]) -> str:
    """The language of the person interacting (their Discord locale), English when unsupported."""
    return normalize_language(interaction.locale.value) or "en"


def missing_permissions(interaction: discord.Interaction[Any]) -> list[str]:
    """What Herald lacks to post announcements in this guild channel (empty in DMs), in English."""
    if interaction.guild_id is None:
        return []
    have = interaction.app_permissions
    if have.administrator:
        return []
    # Named as Discord's own settings name them, so the user can find them there.
    needed = {
        N_("View Channel"): have.view_channel,
        N_("Send Messages"): have.send_messages,
        N_("Embed Links"): have.embed_links,
    }
    return [name for name, granted in needed.items() if not granted]


def cannot_post_here(language: str, missing: list[str]) -> str:
    """The refusal to subscribe a channel Herald could not post in, naming what it lacks."""
    names = ", ".join(translate(language, name) for name in missing)
    return translate(
        language,
        "I cannot post announcements here: I need {permissions} in this channel. "
        "Give me those permissions, then run /subscribe again.",
        permissions=names,
    )


def to_command(interaction: discord.Interaction[Any], text: str, *, from_button: bool) -> Command:
    """The neutral command for `text` typed (or pressed) in this interaction."""
    in_dm = interaction.guild_id is None
    return Command(
        platform="discord",
        chat_id=str(interaction.channel_id),
        chat_kind=ChatKind.DM if in_dm else ChatKind.GUILD_CHANNEL,
        user_id=str(interaction.user.id),
        text=text,
        chat_title=chat_title(interaction),
        user_name=interaction.user.display_name,
        is_chat_admin=is_chat_admin(interaction),
        language_hint=interaction.locale.value.split("-")[0].lower(),
        from_button=from_button,
    )


class ActionButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"(?P<action>/.*)"):
    """A reply button whose custom_id is the command it runs; works across restarts."""

    def __init__(self, label: str, action: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:LABEL_LIMIT],
                custom_id=action,
                style=discord.ButtonStyle.secondary,
            )
        )
        self.action = action

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ActionButton:
        """Rebuild the button from a press."""
        label = getattr(item, "label", None) or match["action"]
        return cls(label, match["action"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Run the button's command and show the answer in place."""
        runner: InteractionRunner | None = getattr(interaction.client, "runner", None)
        if runner is not None:
            await runner.press(interaction, self.action)


def action_view(actions: tuple[Button, ...]) -> discord.ui.View | None:
    """An outbound message's action buttons (one row), like a reply's."""
    return reply_view(Reply(buttons=(actions[:5],)))


def reply_view(reply: Reply) -> discord.ui.View | None:
    """The reply's buttons as a view (at most 5 rows of 5); None without buttons."""
    view = discord.ui.View(timeout=None)
    for row_index, row in enumerate(reply.buttons[:5]):
        for button in row[:5]:
            if button.url is not None:
                link: discord.ui.Button[Any] = discord.ui.Button(
                    label=button.label, url=button.url, style=discord.ButtonStyle.link
                )
                link.row = row_index
                view.add_item(link)
                continue
            if len(button.action) > CUSTOM_ID_LIMIT or not button.action.startswith("/"):
                log.warning("button %r skipped: action too long for a custom_id", button.label)
                continue
            item = ActionButton(button.label, button.action)
            item.row = row_index
            view.add_item(item)
    return view if view.children else None


class InteractionRunner:
    """Runs interactions through the core, deferring when the core is slow."""

    def __init__(self, core: Core, *, defer_after: float = 2.0) -> None:
        self.core = core
        self.defer_after = defer_after
        # Interactions being answered now; a stop waits for them before closing HTTP.
        self._answering = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @contextlib.asynccontextmanager
    async def answering(self) -> AsyncIterator[None]:
        """Count an interaction as being answered while the block runs."""
        self._answering += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._answering -= 1
            if not self._answering:
                self._idle.set()

    async def idle(self, within: float) -> bool:
        """Wait up to `within` s until no interaction is being answered; True if none is."""
        try:
            async with asyncio.timeout(within):
                await self._idle.wait()
        except TimeoutError:
            return False
        return True

    async def _handle(self, command: Command) -> Reply | None:
        try:
            return await self.core.handle(command)
        except Exception:
            log.exception("core failed on a Discord command %r", command_name(command.text))
            raise

    async def _rejoined(self, command: Command) -> None:
        """Herald can post here again: a channel dropped after a 403 or a removal comes back.

        Discord tells no bot when it regains access to a channel, so /subscribe is the signal.
        """
        try:
            await self.core.chat_joined(command.chat)
        except Exception:
            log.exception("could not record that Discord chat %s is reachable", command.chat_id)

    async def _within_deadline(
        self, interaction: discord.Interaction[Any], command: Command, defer: Any
    ) -> tuple[Reply | None, bool]:
        """(reply, deferred): the core's reply, deferring first when the core is slow."""
        task = asyncio.create_task(self._handle(command))
        done, _ = await asyncio.wait({task}, timeout=self.defer_after)
        if done:
            return task.result(), False
        try:
            await defer()
        except discord.HTTPException:
            log.warning("could not defer a slow interaction in time")
        # The interaction token lives 15 minutes; give up well before.
        return await asyncio.wait_for(task, ANSWER_WITHIN), True

    async def refusal(self, interaction: discord.Interaction[Any], text: str) -> Reply | None:
        """The core's refusal of `text` here, or None when it may run; nothing is done."""
        command = to_command(interaction, text, from_button=False)
        try:
            return await self.core.refusal(command)
        except Exception:
            log.exception("core failed checking a Discord command %r", command_name(text))
            raise

    async def run(
        self,
        interaction: discord.Interaction[Any],
        text: str,
        *,
        photo: Photo | None = None,
        styles: Styles = (),
    ) -> None:
        """Answer a slash command or modal submit with the core's reply for `text`."""
        async with self.answering():
            await self._run(interaction, text, photo=photo, styles=styles)

    async def _run(
        self,
        interaction: discord.Interaction[Any],
        text: str,
        *,
        photo: Photo | None,
        styles: Styles,
    ) -> None:
        command = replace(
            to_command(interaction, text, from_button=False), photo=photo, styles=styles
        )
        personal = command_name(text) in PERSONAL
        subscribing = command_name(text) == "subscribe"
        missing = missing_permissions(interaction) if subscribing else []
        if subscribing and not missing:
            await self._rejoined(command)
        if missing:
            # Subscribing would only make the first delivery fail and the channel be dropped.
            await interaction.response.send_message(
                cannot_post_here(user_language(interaction), missing), ephemeral=True
            )
            return

        async def defer() -> None:
            await interaction.response.defer(ephemeral=personal, thinking=True)

        try:
            reply, deferred = await self._within_deadline(interaction, command, defer)
        except Exception:
            await self._apologize(interaction, placeholder=True)
            return
        if reply is None:
            if deferred:
                await interaction.delete_original_response()
            else:
                await interaction.response.send_message("\u2714", ephemeral=True)
            return
        ephemeral = reply.ephemeral or personal
        await self._send(
            interaction, reply, ephemeral=ephemeral, deferred=deferred, deferred_ephemeral=personal
        )

    async def press(self, interaction: discord.Interaction[Any], action: str) -> None:
        """A button was pressed: run its command and edit the message in place."""
        async with self.answering():
            await self._press(interaction, action)

    async def _press(self, interaction: discord.Interaction[Any], action: str) -> None:
        command = to_command(interaction, action, from_button=True)

        async def defer() -> None:
            await interaction.response.defer()

        try:
            reply, deferred = await self._within_deadline(interaction, command, defer)
        except Exception:
            await self._apologize(interaction, placeholder=False)
            return
        if reply is None:
            if not deferred:
                await interaction.response.defer()
            return
        contents = render_reply(reply)
        view = reply_view(reply)
        if reply.ephemeral:
            if deferred:
                await interaction.followup.send(
                    contents[0], ephemeral=True, allowed_mentions=NO_MENTIONS
                )
            else:
                await interaction.response.send_message(
                    contents[0], ephemeral=True, allowed_mentions=NO_MENTIONS
                )
            return
        kwargs: dict[str, Any] = {"content": contents[0], "allowed_mentions": NO_MENTIONS}
        kwargs["view"] = view if len(contents) == 1 else None
        if deferred:
            await interaction.edit_original_response(**kwargs)
        else:
            await interaction.response.edit_message(**kwargs)
        await self._followups(interaction, contents[1:], view, ephemeral=False)

    async def _send(
        self,
        interaction: discord.Interaction[Any],
        reply: Reply,
        *,
        ephemeral: bool,
        deferred: bool,
        deferred_ephemeral: bool,
    ) -> None:
        contents = render_reply(reply)
        view = reply_view(reply)
        first_view = view if len(contents) == 1 else None
        if not deferred:
            if first_view is not None:
                await interaction.response.send_message(
                    contents[0],
                    ephemeral=ephemeral,
                    view=first_view,
                    allowed_mentions=NO_MENTIONS,
                )
            else:
                await interaction.response.send_message(
                    contents[0], ephemeral=ephemeral, allowed_mentions=NO_MENTIONS
                )
        elif ephemeral == deferred_ephemeral:
            await interaction.edit_original_response(
                content=contents[0], view=first_view, allowed_mentions=NO_MENTIONS
            )
        else:
            # The defer fixed the visibility; post with the right one and drop the placeholder.
            await interaction.delete_original_response()
            await self._followups(interaction, contents[:1], first_view, ephemeral=ephemeral)
        await self._followups(interaction, contents[1:], view, ephemeral=ephemeral)

    async def _followups(
        self,
        interaction: discord.Interaction[Any],
        contents: list[str],
        view: discord.ui.View | None,
        *,
        ephemeral: bool,
    ) -> None:
        for index, content in enumerate(contents):
            last = index == len(contents) - 1
            if last and view is not None:
                await interaction.followup.send(
                    content, ephemeral=ephemeral, view=view, allowed_mentions=NO_MENTIONS
                )
            else:
                await interaction.followup.send(
                    content, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS
                )

    async def _apologize(self, interaction: discord.Interaction[Any], *, placeholder: bool) -> None:
        """Tell the user it failed; a deferred "thinking" placeholder is replaced, not left."""
        text = translate(
            user_language(interaction), "Something went wrong; please try again later."
        )
        try:
            if not interaction.response.is_done():
                await interaction.response.send_message(text, ephemeral=True)
            elif placeholder:
                await interaction.edit_original_response(content=text)
            else:
                await interaction.followup.send(text, ephemeral=True)
        except discord.HTTPException:
            log.warning("could not report a failure to the user")
