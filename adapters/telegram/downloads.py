"""A photo a user sent, fetched through the Bot API (getFile, then the file URL) for a post."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import Bot, PhotoSize
from telegram.error import TelegramError

from bot.formatting import Photo
from bot.photos import MAX_PHOTO_BYTES

log = logging.getLogger(__name__)

DOWNLOAD_TIMEOUT = 60.0


class PhotoRefused(Exception):
    """The photo cannot be taken; `reason` is a key of bot.photos.MESSAGES."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def largest(sizes: Sequence[PhotoSize]) -> PhotoSize:
    """The biggest of the sizes Telegram offers (it lists them smallest first)."""
    return max(sizes, key=lambda size: (size.width * size.height, size.file_size or 0))


async def download_photo(bot: Bot, sizes: Sequence[PhotoSize]) -> Photo:
    """The largest size's bytes with its file id; PhotoRefused when too big or not fetched."""
    size = largest(sizes)
    # Checked before and after: Telegram's declared size saves a useless download.
    if (size.file_size or 0) > MAX_PHOTO_BYTES:
        raise PhotoRefused("too_large")
    try:
        found = await bot.get_file(size.file_id)
        if (found.file_size or 0) > MAX_PHOTO_BYTES:
            raise PhotoRefused("too_large")
        data = bytes(await found.download_as_bytearray(read_timeout=DOWNLOAD_TIMEOUT))
    except (TelegramError, RuntimeError) as exc:  # RuntimeError: no file_path given
        log.warning("telegram: photo %s not downloaded: %s", size.file_unique_id, exc)
        raise PhotoRefused("download_failed") from exc
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoRefused("too_large")
    return Photo(data, "image/jpeg", f"{size.file_unique_id}.jpg", telegram_file_id=size.file_id)
