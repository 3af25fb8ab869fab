"""/post and /draft with a photo option: checked and read before the post form opens."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import aiohttp
import discord

from adapters.discord.interactions import user_language
from adapters.discord.modals import PostModal
from adapters.discord.render import render_reply
from bot.formatting import Photo
from bot.i18n import N_
from bot.photos import MAX_PHOTO_BYTES, photo_error_text

if TYPE_CHECKING:
    from adapters.discord.interactions import InteractionRunner

log = logging.getLogger(__name__)

PHOTO_OPTION = N_("A photo to post with the announcement (optional)")


async def open_post_form(
    runner: InteractionRunner,
    interaction: discord.Interaction[Any],
    verb: str,
    attachment: discord.Attachment | None,
) -> None:
    """Open the post form; with a photo, first refuse non-admins and bad files, then read it."""
    language = user_language(interaction)
    photo: Photo | None = None
    if attachment is not None:
        # The form must be the interaction's first answer, so every check comes before it.
        refusal = await runner.refusal(interaction, f"/{verb}")
        if refusal is not None:
            await _refuse(interaction, render_reply(refusal)[0])
            return
        if attachment.size > MAX_PHOTO_BYTES:
            await _refuse(interaction, photo_error_text(language, "too_large"))
            return
        try:
            data = await attachment.read()
        except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("discord: attachment %s not read: %s", attachment.id, exc)
            await _refuse(interaction, photo_error_text(language, "download_failed"))
            return
        if len(data) > MAX_PHOTO_BYTES:
            await _refuse(interaction, photo_error_text(language, "too_large"))
            return
        photo = Photo(data, attachment.content_type or "", attachment.filename)
    await interaction.response.send_modal(
        PostModal(runner, verb, language=language, photo=photo)
    )


async def _refuse(interaction: discord.Interaction[Any], text: str) -> None:
    await interaction.response.send_message(
        text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
    )
