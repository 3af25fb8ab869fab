"""A post's photo checked before it is stored: size, type by magic number, Telegram's rules."""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import replace

from PIL import Image

from bot.formatting import Photo
from bot.i18n import N_, translate

# Telegram's upload ceiling for photos; Discord's default attachment limit is the same.
MAX_PHOTO_BYTES = 10 * 1024 * 1024
# Telegram's sendPhoto refuses larger sums (PHOTO_INVALID_DIMENSIONS) and longer strips.
MAX_PHOTO_SIDES = 10_000
MAX_PHOTO_RATIO = 20
_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP", "image/gif": "GIF"}
_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif"}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
NAME_LIMIT = 100
# How listings, /show and the console mark an announcement that carries a photo.
PHOTO_MARK = "📷"


class PhotoError(ValueError):
    """The photo cannot be used; `reason`: empty, too_large, not_image, download_failed,
    unreadable or dimensions."""

    def __init__(self, reason: str, *, width: int = 0, height: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.width = width
        self.height = height


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
    width, height = image_size(photo.data, mime)
    if not fits_telegram(width, height):
        raise PhotoError("dimensions", width=width, height=height)
    return replace(photo, mime_type=mime, file_name=safe_file_name(photo.file_name, mime))


def image_size(data: bytes, mime: str) -> tuple[int, int]:
    """Width and height from the image's header (no pixel is decoded); PhotoError if unreadable."""
    with warnings.catch_warnings():
        # Pillow warns about huge images because decoding them costs memory; nothing is decoded.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=[_FORMATS[mime]]) as image:
                width, height = image.size
        except Image.DecompressionBombError:
            # Over ~179 megapixels: far beyond what Telegram takes (at most 25 megapixels).
            raise PhotoError("dimensions") from None
        except Exception:  # Pillow raises OSError, SyntaxError, ValueError, struct.error...
            raise PhotoError("unreadable") from None
    if width < 1 or height < 1:
        raise PhotoError("unreadable")
    return width, height


def fits_telegram(width: int, height: int) -> bool:
    """Telegram's photo rules: width + height at most 10,000, long side at most 20 × the short."""
    return width + height <= MAX_PHOTO_SIDES and max(width, height) <= MAX_PHOTO_RATIO * min(
        width, height
    )


# What each refusal says; adapters show the same texts when a download fails or is too large.
MESSAGES = {
    "empty": N_("The photo is empty; send it again."),
    "too_large": N_("The photo is larger than 10 MB; send a smaller one."),
    "not_image": N_("That file is not a photo: send a JPEG, PNG, WebP or GIF image."),
    "download_failed": N_("I could not download the photo; please send it again."),
    "unreadable": N_(
        "The photo's header is damaged or does not match its type; "
        "save it again as JPEG or PNG and send it."
    ),
    "dimensions": N_(
        "Telegram refuses photos whose width and height add up to more than 10,000 pixels "
        "or whose long side is more than 20 times the short one; crop or resize it and "
        "send it again."
    ),
}
# What a `dimensions` refusal adds when the size is known.
SIZE_NOTE = N_("This one is {width}×{height}.")


def photo_error_text(language: str, reason: str) -> str:
    """The refusal for a photo that cannot be used, in `language`."""
    message = MESSAGES.get(reason, MESSAGES["not_image"])
    return translate(language, message)


def photo_refusal(language: str, error: PhotoError) -> str:
    """The refusal for `error`, with the photo's size when its shape is the problem."""
    text = photo_error_text(language, error.reason)
    if error.reason == "dimensions" and error.width:
        text += " " + translate(language, SIZE_NOTE, width=error.width, height=error.height)
    return text
