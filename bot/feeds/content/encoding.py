"""Bytes of a feed or page → text: BOM, HTTP charset, the document's own declaration, then a guess.

A declared encoding is believed only if the bytes decode with it: servers often send
`charset=utf-8` for a file saved in Windows-1251. With no usable declaration, valid UTF-8 is
UTF-8; anything else is guessed between Windows-1251, KOI8-R and Windows-1252.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_CHARSET_PARAM = re.compile(rb"""charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_XML_DECLARATION = re.compile(
    rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""", re.IGNORECASE
)
_HTML_META = re.compile(rb"<meta\b[^>]*>", re.IGNORECASE)
_HIGH_RUN = re.compile(rb"[\x80-\xff]{2,}")
# bytes.translate(None, delete): named otherwise, or the i18n extractor takes it for a message.
_delete_bytes = bytes.translate
# The encoding attribute of an XML declaration, rewritten once the text is decoded.
_DECLARED_ENCODING = re.compile(
    r"""^(\s*<\?xml[^>]*?encoding\s*=\s*)(["'])[A-Za-z0-9._:-]+\2""", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Decoded:
    """A document's text and the encoding it was read with (a Python codec name)."""

    text: str
    encoding: str


def charset_of(content_type: str | None) -> str | None:
    """The `charset` parameter of a Content-Type header, if any."""
    if not content_type:
        return None
    match = _CHARSET_PARAM.search(content_type.encode("latin-1", "replace"))
    return match.group(1).decode("ascii") if match else None


def declared_encoding(body: bytes) -> str | None:
    """The encoding a document declares itself: the XML declaration or an HTML `<meta>`."""
    head = body[:4096]
    match = _XML_DECLARATION.match(head)
    if match:
        return match.group(1).decode("ascii")
    for meta in _HTML_META.finditer(head):
        found = _CHARSET_PARAM.search(meta.group())
        if found:
            return found.group(1).decode("ascii")
    return None


def decode(body: bytes, content_type: str | None = None) -> Decoded:
    """The text of a fetched document, read with the first encoding that fits."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return Decoded(body[len(bom) :].decode(encoding, "replace"), encoding)
    for declared in (charset_of(content_type), declared_encoding(body)):
        name = _codec(declared)
        if name is None:
            continue
        try:
            return Decoded(body.decode(name), name)
        except UnicodeDecodeError:
            continue  # the declaration is wrong: look further
    try:
        return Decoded(body.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    guessed = guess_legacy(body)
    return Decoded(body.decode(guessed, "replace"), guessed)


def guess_legacy(body: bytes) -> str:
    """Windows-1251, KOI8-R or Windows-1252 for bytes that are not UTF-8.

    Cyrillic in a single-byte encoding makes whole words of bytes ≥ 0x80; Western text has
    a lone accented letter among ASCII ones. Russian text is mostly lower case, which is
    0xE0–0xFF in Windows-1251 and 0xC0–0xDF in KOI8-R.
    """
    high = _count(body, 0x80, 0x100)
    # Bytes ≥ 0x80 standing next to another one (in runs of two or more).
    paired = sum(len(run) for run in _HIGH_RUN.findall(body))
    if not high or paired * 2 < high:
        return "cp1252"
    lower_1251 = _count(body, 0xE0, 0x100)
    lower_koi8 = _count(body, 0xC0, 0xE0)
    return "cp1251" if lower_1251 >= lower_koi8 else "koi8_r"


def _count(body: bytes, low: int, high: int) -> int:
    """How many bytes of `body` are in [low, high), counted in C (a 5 MB body is common)."""
    return len(body) - len(_delete_bytes(body, None, bytes(range(low, high))))


def as_utf8_xml(text: str) -> bytes:
    """XML text as UTF-8 bytes whose declaration says so (for a parser that reads bytes)."""
    return _DECLARED_ENCODING.sub(r"\1\2utf-8\2", text, count=1).encode("utf-8")


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().lower()).name
    except LookupError:
        return None
