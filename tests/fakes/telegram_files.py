"""The fake Bot API's files: photos users send, uploads by the bot, getFile and downloads."""

from __future__ import annotations

import itertools
import struct
from dataclasses import dataclass, field

from tests.fakes.telegram_wire import JSON, ApiError

# Telegram's limits: photos uploaded by a bot, and files a bot may download.
UPLOAD_LIMIT = 10 * 1024 * 1024
DOWNLOAD_LIMIT = 20 * 1024 * 1024
# What the fake accepts as an image (Telegram decodes the upload; the fake looks at magic).
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"GIF87a", b"GIF89a")
# Telegram's photo rules: width + height at most 10,000, the long side at most 20 × the short.
MAX_PHOTO_SIDES = 10_000
MAX_PHOTO_RATIO = 20
PHOTO_INVALID_DIMENSIONS = "Bad Request: PHOTO_INVALID_DIMENSIONS"


def dimensions(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG or GIF header; None for other formats (not checked)."""
    if data.startswith(b"\x89PNG") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    return None


@dataclass
class StoredFile:
    """One file the fake holds."""

    file_id: str
    unique_id: str
    data: bytes
    path: str


@dataclass
class FakeFiles:
    """Files by id and by download path; uploads and downloads are counted for the tests."""

    files: dict[str, StoredFile] = field(default_factory=dict)
    by_path: dict[str, StoredFile] = field(default_factory=dict)
    uploads: list[str] = field(default_factory=list)
    # Uploads refused for the image itself (PHOTO_INVALID_DIMENSIONS): how many arrived.
    refused_uploads: int = 0
    downloads: list[str] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def add(self, data: bytes, *, size_hint: int | None = None) -> StoredFile:
        """Keep `data` under a new file id and path."""
        n = next(self._ids)
        stored = StoredFile(f"AgACAgFake{n:06d}", f"AQADFake{n}", data, f"photos/file_{n}.jpg")
        self.files[stored.file_id] = stored
        self.by_path[stored.path] = stored
        return stored

    def photo_sizes(self, stored: StoredFile, *, declared_size: int | None = None) -> list[JSON]:
        """The PhotoSize array Telegram puts on a message: a thumbnail, then the full size."""
        size = len(stored.data) if declared_size is None else declared_size
        thumb = self.add(stored.data[:64])
        return [
            {"file_id": thumb.file_id, "file_unique_id": thumb.unique_id, "width": 90,
             "height": 90, "file_size": len(thumb.data)},
            {"file_id": stored.file_id, "file_unique_id": stored.unique_id, "width": 1280,
             "height": 960, "file_size": size},
        ]

    def get_file(self, file_id: str) -> JSON:
        """getFile: the file's path for downloading."""
        stored = self.files.get(file_id)
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if len(stored.data) > DOWNLOAD_LIMIT:
            raise ApiError(400, "Bad Request: file is too big")
        return {"file_id": stored.file_id, "file_unique_id": stored.unique_id,
                "file_size": len(stored.data), "file_path": stored.path}

    def download(self, path: str) -> bytes | None:
        """The bytes at a download path, or None (404)."""
        stored = self.by_path.get(path)
        if stored is None:
            return None
        self.downloads.append(path)
        return stored.data

    def upload(self, photo: object) -> StoredFile:
        """sendPhoto's `photo`: uploaded bytes (checked), or the id of a file the fake holds."""
        if isinstance(photo, bytes):
            if len(photo) > UPLOAD_LIMIT:
                raise ApiError(400, "Bad Request: file is too big")
            if not photo.startswith(_IMAGE_MAGIC) and not (
                photo[:4] == b"RIFF" and photo[8:12] == b"WEBP"
            ):
                raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
            size = dimensions(photo)
            if size is not None and _invalid(*size):
                self.refused_uploads += 1
                raise ApiError(400, PHOTO_INVALID_DIMENSIONS)
            stored = self.add(photo)
            self.uploads.append(stored.file_id)
            return stored
        known = self.files.get(str(photo))
        if known is None:
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        return known


def _invalid(width: int, height: int) -> bool:
    if width <= 0 or height <= 0 or width + height > MAX_PHOTO_SIDES:
        return True
    return max(width, height) > MAX_PHOTO_RATIO * min(width, height)
