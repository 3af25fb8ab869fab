"""Photos on Telegram: sendPhoto by file id when one is known, else an upload that teaches one.

File ids are remembered by the photo's sha256 in memory and in the `FileIds` store, so every
process, and a restarted one, sends a photo Telegram already has by its id.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging

from telegram import Bot, InlineKeyboardMarkup, InputFile, InputMediaPhoto, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.formatting import Photo
from bot.ports import FileIds

log = logging.getLogger(__name__)

PLATFORM = "telegram"

# Telegram's answers when a file id cannot be used (another bot's, or expired).
_STALE_ID = ("wrong file identifier", "file reference", "wrong remote file", "invalid file_id")
_NOT_MODIFIED = "message is not modified"
# Telegram's answers when it refuses the image itself, whatever the chat.
_REFUSED = (
    "photo_invalid_dimensions",
    "photo_save_file_invalid",
    "photo_ext_invalid",
    "photo_invalid",
    "image_process_failed",
)
_CACHED_IDS = 256
# Digests are remembered by the bytes object, which they keep alive: only a few.
_CACHED_DIGESTS = 8
_UPLOAD_TIMEOUT = 120.0


class PhotoSender:
    """Sends a post's photo with its caption; remembers Telegram's file id by content."""

    def __init__(
        self, bot: Bot, *, paid_broadcast: bool = False, file_ids: FileIds | None = None
    ) -> None:
        self._bot = bot
        self._paid = paid_broadcast
        self._store = file_ids
        # sha256 of the bytes → the file id Telegram knows them by (learned or read here).
        self._file_ids: dict[str, str] = {}
        self._digests: dict[int, tuple[bytes, str]] = {}
        self._uploads: dict[str, asyncio.Lock] = {}
        # sha256 → why Telegram refused that image (its dimensions, say): not uploaded again.
        self._refused: dict[str, str] = {}
        self.uploaded = 0

    async def send(
        self,
        chat_id: int | str,
        photo: Photo,
        caption: str,
        markup: InlineKeyboardMarkup | None = None,
    ) -> str:
        """Send the photo with an HTML caption; the message id. PTB errors propagate."""
        digest = self._digest(photo)
        known = self._file_ids.get(digest)
        if known is None:
            known = await self._stored(digest)
        if known is not None:
            try:
                return await self._send(chat_id, known, caption, markup)
            except BadRequest as exc:
                if not any(marker in str(exc).lower() for marker in _STALE_ID):
                    raise
                log.info("telegram: file id of %s no longer works; uploading", photo.file_name)
                await self._forget(digest, known)
        # One upload per photo: a broadcast's other sends wait for its file id.
        async with self._uploads.setdefault(digest, asyncio.Lock()):
            learned = self._file_ids.get(digest)
            if learned is not None:
                return await self._send(chat_id, learned, caption, markup)
            refused = self._refused.get(digest)
            if refused is not None:
                # Telegram refused these very bytes already: it would again, in every chat.
                raise BadRequest(refused)
            upload = InputFile(photo.data, filename=photo.file_name)
            try:
                message = await self._bot.send_photo(
                    chat_id,
                    upload,
                    caption=caption,
                    reply_markup=markup,
                    parse_mode=ParseMode.HTML,
                    allow_paid_broadcast=self._paid or None,
                    read_timeout=_UPLOAD_TIMEOUT,
                    write_timeout=_UPLOAD_TIMEOUT,
                )
            except BadRequest as exc:
                if any(marker in str(exc).lower() for marker in _REFUSED):
                    if len(self._refused) >= _CACHED_IDS:
                        self._refused.clear()
                    self._refused[digest] = exc.message
                raise
            self.uploaded += 1
            if message.photo:
                await self._learn(digest, message.photo[-1].file_id)
            return str(message.message_id)

    async def _stored(self, digest: str) -> str | None:
        """The id the store holds for these bytes: looked up once, while others wait."""
        if self._store is None:
            return None
        async with self._uploads.setdefault(digest, asyncio.Lock()):
            known = self._file_ids.get(digest)
            if known is not None:
                return known
            try:
                known = await self._store.get(PLATFORM, digest)
            except Exception as exc:  # the database: an upload costs less than a failed send
                log.warning("telegram: stored file ids not read (%s); uploading", exc)
                return None
            if known is not None:
                self._cache(digest, known)
            return known

    async def _learn(self, digest: str, file_id: str) -> None:
        self._cache(digest, file_id)
        if self._store is not None:
            try:
                await self._store.put(PLATFORM, digest, file_id)
            except Exception as exc:
                log.warning("telegram: file id not stored (%s); kept in memory", exc)

    async def _forget(self, digest: str, file_id: str) -> None:
        if self._file_ids.get(digest) == file_id:
            del self._file_ids[digest]
        if self._store is not None:
            try:
                await self._store.forget(PLATFORM, digest, file_id)
            except Exception as exc:
                log.warning("telegram: stale file id not forgotten (%s)", exc)

    def _cache(self, digest: str, file_id: str) -> None:
        if len(self._file_ids) >= _CACHED_IDS:
            self._file_ids.clear()
        self._file_ids[digest] = file_id

    async def edit_media(
        self,
        chat_id: int | str,
        message_id: str,
        photo: Photo,
        caption: str,
        markup: InlineKeyboardMarkup | None = None,
    ) -> None:
        """Make a photo message show `photo` with this caption (editMessageMedia): by its
        file id when known, else uploaded once; unchanged is not an error. PTB errors
        propagate (a copy sent as text has no media to edit)."""
        digest = self._digest(photo)
        known = self._file_ids.get(digest) or await self._stored(digest)
        if known is not None:
            try:
                await self._edit_media(chat_id, message_id, known, caption, markup)
                return
            except BadRequest as exc:
                if not any(marker in str(exc).lower() for marker in _STALE_ID):
                    raise
                await self._forget(digest, known)
        async with self._uploads.setdefault(digest, asyncio.Lock()):
            learned = self._file_ids.get(digest)
            if learned is not None:
                await self._edit_media(chat_id, message_id, learned, caption, markup)
                return
            # In an InputMedia the file is posted as `attach://name`: an attachable InputFile.
            upload = InputFile(photo.data, filename=photo.file_name, attach=True)
            message = await self._edit_media(chat_id, message_id, upload, caption, markup)
            self.uploaded += 1
            if isinstance(message, Message) and message.photo:
                await self._learn(digest, message.photo[-1].file_id)

    async def _edit_media(
        self,
        chat_id: int | str,
        message_id: str,
        media: str | InputFile,
        caption: str,
        markup: InlineKeyboardMarkup | None,
    ) -> Message | bool | None:
        try:
            return await self._bot.edit_message_media(
                InputMediaPhoto(media, caption=caption, parse_mode=ParseMode.HTML),
                chat_id=chat_id,
                message_id=int(message_id),
                reply_markup=markup,
                read_timeout=_UPLOAD_TIMEOUT,
                write_timeout=_UPLOAD_TIMEOUT,
            )
        except BadRequest as exc:
            if _NOT_MODIFIED not in str(exc).lower():
                raise
            return None

    async def edit_caption(
        self,
        chat_id: int | str,
        message_id: str,
        caption: str,
        markup: InlineKeyboardMarkup | None = None,
    ) -> None:
        """Replace a photo message's caption; an unchanged caption is not an error."""
        try:
            await self._bot.edit_message_caption(
                chat_id=chat_id,
                message_id=int(message_id),
                caption=caption,
                reply_markup=markup,
                parse_mode=ParseMode.HTML,
            )
        except BadRequest as exc:
            if _NOT_MODIFIED not in str(exc).lower():
                raise

    async def _send(
        self,
        chat_id: int | str,
        file_id: str,
        caption: str,
        markup: InlineKeyboardMarkup | None = None,
    ) -> str:
        message = await self._bot.send_photo(
            chat_id,
            file_id,
            caption=caption,
            reply_markup=markup,
            parse_mode=ParseMode.HTML,
            allow_paid_broadcast=self._paid or None,
        )
        return str(message.message_id)

    def _digest(self, photo: Photo) -> str:
        # Hashing 10 MB per send would cost more than the send; the bytes object is the key.
        cached = self._digests.get(id(photo.data))
        if cached is not None and cached[0] is photo.data:
            return cached[1]
        digest = hashlib.sha256(photo.data).hexdigest()
        if len(self._digests) >= _CACHED_DIGESTS:
            self._digests.clear()
        self._digests[id(photo.data)] = (photo.data, digest)
        return digest
