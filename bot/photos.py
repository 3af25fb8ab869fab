"""A post's photo checked before it is stored: size, and image type by magic number."""

from __future__ import annotations

import re
from dataclasses import replace

from bot.formatting import Photo
from bot.i18n import N_, translate

# Telegram's upload ceiling for photos; Discord's default attachment limit is the same.
MAX_PHOTO_BYTES = 10 * 1024 * 1024
_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif"}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
NAME_LIMIT = 100
# How listings, /show and the console mark an announcement that carries a photo.
PHOTO_MARK = "📷"


class PhotoError(ValueError):
    """The photo cannot be used; `reason`: empty, too_large, not_image or download_failed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def image_type(data: bytes) -> str | None:
    """The MIME type of JPEG, PNG, WebP or GIF bytes, by their first bytes; None otherwise."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    return None


def safe_file_name(name: str, mime_type: str) -> str:
    """A file name safe in URLs and Discord's `attachment://`, with the type's extension."""
    extension = _EXTENSIONS.get(mime_type, "bin")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = _UNSAFE.sub("_", stem).strip("._-")[: NAME_LIMIT - len(extension) - 1] or "photo"
    return f"{stem}.{extension}"


def checked_photo(photo: Photo) -> Photo:
    """The photo with its real type and a safe name; PhotoError when it cannot be used."""
    if not photo.data:
        raise PhotoError("empty")
    if len(photo.data) > MAX_PHOTO_BYTES:
        raise PhotoError("too_large")
    mime = image_type(photo.data)
    if mime is None:
        raise PhotoError("not_image")
    return replace(photo, mime_type=mime, file_name=safe_file_name(photo.file_name, mime))


# What each refusal says; adapters show the same texts when a download fails or is too large.
MESSAGES = {
    "empty": N_("The photo is empty; send it again."),
    "too_large": N_("The photo is larger than 10 MB; send a smaller one."),
    "not_image": N_("That file is not a photo: send a JPEG, PNG, WebP or GIF image."),
    "download_failed": N_("I could not download the photo; please send it again."),
}


def photo_error_text(language: str, reason: str) -> str:
    """The refusal for a photo that cannot be used, in `language`."""
    message = MESSAGES.get(reason, MESSAGES["not_image"])
    return translate(language, message)
