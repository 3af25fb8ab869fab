"""A photo a user sent, fetched through the Bot API (getFile, then the file URL) for a post."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import Bot, PhotoSize
from telegram.error import TelegramError

from adapters.telegram.photos import PLATFORM
from bot.formatting import Photo
from bot.photos import MAX_PHOTO_BYTES, PhotoError
from bot.ports import FileIds

log = logging.getLogger(__name__)

DOWNLOAD_TIMEOUT = 60.0


def largest(sizes: Sequence[PhotoSize]) -> PhotoSize:
    """The biggest of the sizes Telegram offers (it lists them smallest first)."""
    return max(sizes, key=lambda size: (size.width * size.height, size.file_size or 0))


async def download_photo(
    bot: Bot, sizes: Sequence[PhotoSize], file_ids: FileIds | None = None
) -> Photo:
    """The largest size's bytes; PhotoError when too big or not fetched.

    Its file id goes to `file_ids`, so a broadcast of it sends by id instead of uploading.
    """
    size = largest(sizes)
    # Checked before and after: Telegram's declared size saves a useless download.
    if (size.file_size or 0) > MAX_PHOTO_BYTES:
        raise PhotoError("too_large")
    try:
        found = await bot.get_file(size.file_id)
        if (found.file_size or 0) > MAX_PHOTO_BYTES:
            raise PhotoError("too_large")
        data = bytes(await found.download_as_bytearray(read_timeout=DOWNLOAD_TIMEOUT))
    except (TelegramError, RuntimeError) as exc:  # RuntimeError: no file_path given
        log.warning("telegram: photo %s not downloaded: %s", size.file_unique_id, exc)
        raise PhotoError("download_failed") from exc
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoError("too_large")
    if file_ids is not None:
        digest = hashlib.sha256(data).hexdigest()
        try:
            await file_ids.put(PLATFORM, digest, size.file_id)
        except Exception as exc:  # the broadcast then uploads it once: not worth a refusal
            log.warning("telegram: file id of photo %s not stored: %s", size.file_unique_id, exc)
    return Photo(data, "image/jpeg", f"{size.file_unique_id}.jpg")


@dataclass(frozen=True, slots=True)
class TelegramPhoto:
    """The photo a command carries (a bot.commands PhotoSource): downloaded when fetched."""

    bot: Bot
    sizes: tuple[PhotoSize, ...]
    file_ids: FileIds | None = None

    async def fetch(self) -> Photo:
        """Download the largest size; PhotoError when it is too big or cannot be fetched."""
        return await download_photo(self.bot, self.sizes, self.file_ids)
