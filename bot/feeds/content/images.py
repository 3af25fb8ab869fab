"""Which image of an entry becomes its photo, and the check of the downloaded bytes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

from bot.formatting import Photo
from bot.importers.html_text import FoundImage
from bot.photos import MAX_PHOTO_BYTES, PhotoError, checked_photo, image_size, image_type

# Smaller than this on either side is a tracking pixel or a spacer, not a picture.
MIN_IMAGE_SIDE = 3
# Hosts that serve counters and tracking pixels (a suffix matches its subdomains too).
TRACKER_HOSTS = (
    "feeds.feedburner.com",
    "feedproxy.google.com",
    "pixel.wp.com",
    "stats.wp.com",
    "stats.wordpress.com",
    "google-analytics.com",
    "googletagmanager.com",
    "doubleclick.net",
    "facebook.com",
    "mc.yandex.ru",
    "counter.yadro.ru",
    "top-fwz1.mail.ru",
    "top.mail.ru",
    "counter.rambler.ru",
    "top100-images.rambler.ru",
    "c.statcounter.com",
    "sb.scorecardresearch.com",
    "pixel.quantserve.com",
    "list-manage.com",
    "vk.com",
)
# Paths that only serve counters: feedburner's `/~r/`, Medium's `/_/stat`, `/pixel`, `/track`.
_TRACKER_PATH = re.compile(
    r"/(?:~r|~ff|~a|_/stat)(?:/|$)|/(?:pixel|tracking|track|beacon|counter)(?:[./?]|$)",
    re.IGNORECASE,
)
_CSS_SIZE = re.compile(r"\b(width|height)\s*:\s*(\d+(?:\.\d+)?)\s*px", re.IGNORECASE)
_CSS_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp")


def is_tracker(url: str) -> bool:
    """Whether an image address is a counter or tracking pixel by its host or path."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return True
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return True  # data:, javascript:, relative leftovers: nothing to download
    host = parts.hostname.lower()
    if any(host == known or host.endswith("." + known) for known in TRACKER_HOSTS):
        return True
    return bool(_TRACKER_PATH.search(parts.path))


def is_real_image(image: FoundImage) -> bool:
    """An `<img>` worth showing: not a tracker, not hidden, not declared 2 px or smaller."""
    if is_tracker(image.src) or _CSS_HIDDEN.search(image.style):
        return False
    sizes = [_pixels(image.width), _pixels(image.height)]
    sizes += [float(value) for _, value in _CSS_SIZE.findall(image.style)]
    return all(size is None or size >= MIN_IMAGE_SIDE for size in sizes)


def first_image(images: Iterable[FoundImage], extra: Iterable[str] = ()) -> str | None:
    """The first real image of the content, else the first usable enclosure or media image."""
    for image in images:
        if is_real_image(image):
            return image.src
    for url in extra:
        if url and not is_tracker(url):
            return url
    return None


def checked_image(data: bytes, url: str) -> Photo:
    """Downloaded image bytes checked like an uploaded photo (bot.photos); PhotoError if unusable.

    A picture 2 px or smaller on a side is refused as `dimensions`: it is a tracking pixel
    that did not declare its size.
    """
    mime = image_type(data)
    if mime is not None and len(data) <= MAX_PHOTO_BYTES:
        width, height = image_size(data, mime)
        if min(width, height) < MIN_IMAGE_SIDE:
            raise PhotoError("dimensions", width=width, height=height)
    return checked_photo(Photo(data=data, file_name=file_name_of(url)))


def file_name_of(url: str) -> str:
    """The last part of an image's address (`photo.jpg` when it has none)."""
    try:
        path = unquote(urlsplit(url).path)
    except ValueError:
        return "photo.jpg"
    name = path.rstrip("/").rsplit("/", 1)[-1]
    return name or "photo.jpg"


def looks_like_image(url: str, mime_type: str | None = None) -> bool:
    """Whether an enclosure or media item is an image, by its type or its file name."""
    if mime_type:
        return mime_type.lower().startswith("image/")
    try:
        path = urlsplit(url).path.lower()
    except ValueError:
        return False
    return path.endswith(_IMAGE_SUFFIXES)


def _pixels(value: str) -> float | None:
    match = re.match(r"\s*(\d+(?:\.\d+)?)\s*(?:px)?\s*$", value)
    return float(match.group(1)) if match else None
