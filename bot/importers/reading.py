"""Reading a saved post from disk: its size checked first, its bytes decoded to text."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from bot.importers.society_post import ImportFormatError

# A saved news page with its markup is a few hundred kilobytes; a post's text at most 100,000
# characters. Anything far larger is not a saved post, and is not read into memory.
MAX_FILE_BYTES = 20 * 1024 * 1024
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# <meta charset="windows-1251"> or <meta http-equiv=... content="text/html; charset=koi8-r">.
_DECLARED = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.IGNORECASE)


def read_post_file(path: Path) -> str:
    """The text of a saved post; OSError when it cannot be read, ImportFormatError when it is
    too large or not text Herald can decode."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ImportFormatError(
            f"the file is {size / 2**20:.1f} MB; a saved post is at most "
            f"{MAX_FILE_BYTES // 2**20} MB"
        )
    with path.open("rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:  # it grew while we looked
        raise ImportFormatError(f"the file is larger than {MAX_FILE_BYTES // 2**20} MB")
    return decode_post(data)


def decode_post(data: bytes) -> str:
    """Bytes as text: a byte-order mark decides; else UTF-8; else the charset a page declares."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode(data[len(bom) :], encoding, why=f"it starts with a {encoding} mark")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        declared = _DECLARED.search(data[:4096])
        if declared is None:
            raise ImportFormatError(
                f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
                f"{exc.start:,}) and declares no other encoding"
            ) from None
        name = declared.group(1).decode("ascii")
        return _decode(data, name, why=f"it declares {name}")


def _decode(data: bytes, encoding: str, *, why: str) -> str:
    try:
        return data.decode(encoding)
    except LookupError:  # unknown, or not a text encoding (rot13, base64)
        raise ImportFormatError(
            f"the file is not UTF-8 text and declares an encoding Herald does not know: "
            f"{encoding!r}"
        ) from None
    except UnicodeDecodeError as exc:
        raise ImportFormatError(
            f"the file cannot be decoded as {encoding}, as {why} "
            f"(byte 0x{data[exc.start]:02x} at offset {exc.start:,})"
        ) from None
