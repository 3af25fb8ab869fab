"""Who a saved post is: its page address when it has one, else its content.

These keys are stored (announcements.source_key and .content_key) and migration 0006 computes
them for rows imported before it, so changing how a key is made orphans every stored post:
re-importing would then create duplicates. Change them only with a migration that rewrites
the stored keys.
"""

from __future__ import annotations

import hashlib
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit

from bot.limits import MAX_SOURCE_KEY_LENGTH

# Tracking parameters a shared link gains; the page is the same without them.
_TRACKING = ("utm_", "fbclid", "gclid", "yclid")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def url_key(url: str) -> str | None:
    """`url:host/path?query` for an http(s) address, or None when `url` is not one.

    http and https, the host's case, a default port, a fragment and tracking parameters do
    not make another page. A key too long for the column is a hash of the same text.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    where = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
         if not k.lower().startswith(_TRACKING)]
    )  # fmt: skip
    key = f"url:{where}{parts.path or '/'}" + (f"?{query}" if query else "")
    if len(key) > MAX_SOURCE_KEY_LENGTH:
        key = "url-sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()
    return key


def content_key(*, title: str, date: str, author: str, text: str) -> str:
    """A stable hash of the post's title, date, author and text (body with its signature).

    Compared as a reader would: Unicode compatibility forms, letter case and every run of
    whitespace (a line break in one save, a paragraph in another) count as the same.
    """
    fields = (_plain(title), _plain(date), _plain(author), _plain(text))
    return hashlib.sha256("\x1f".join(fields).encode("utf-8")).hexdigest()


def _plain(value: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", value).split()).casefold()
