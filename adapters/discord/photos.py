"""/post, /draft and /edit: the admin check (and the photo option) before the post form opens."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import aiohttp
import discord

from adapters.discord.interactions import user_language
from adapters.discord.modals import PostModal
from adapters.discord.render import render_reply
from bot.formatting import Photo
from bot.i18n import N_, translate
from bot.photos import MAX_PHOTO_BYTES, photo_error_text

if TYPE_CHECKING:
    from adapters.discord.interactions import InteractionRunner

log = logging.getLogger(__name__)

PHOTO_OPTION = N_("A photo to post with the announcement (optional)")
SOMETHING_WENT_WRONG = N_("Something went wrong; please try again later.")
# Discord wants the form within 3 seconds of the command; the admin check must fit before it.
FORM_CHECK_DEADLINE = 2.5


async def open_post_form(
    runner: InteractionRunner,
    interaction: discord.Interaction[Any],
    verb: str,
    attachment: discord.Attachment | None,
    *,
    announcement_id: int | None = None,
) -> None:
    """Open the post form once the core admits the user; with a photo, check and read it first."""
    language = user_language(interaction)
    # The form must be the interaction's first answer, so every check comes before it:
    # a member who may not post is told so now, not after filling the form in.
    text = f"/{verb}" if announcement_id is None else f"/{verb} {announcement_id}"
    try:
        async with asyncio.timeout(FORM_CHECK_DEADLINE):
            refusal = await runner.refusal(interaction, text)
    except Exception as exc:
        if isinstance(exc, TimeoutError):
            log.warning("discord: the admin check for /%s took too long; form not opened", verb)
        await _refuse(interaction, translate(language, SOMETHING_WENT_WRONG))
        return
    if refusal is not None:
        await _refuse(interaction, render_reply(refusal)[0])
        return
    photo: Photo | None = None
    if attachment is not None:
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
        PostModal(runner, verb, announcement_id, language=language, photo=photo)
    )


async def _refuse(interaction: discord.Interaction[Any], text: str) -> None:
    await interaction.response.send_message(
        text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
    )
