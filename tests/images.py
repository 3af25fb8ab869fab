"""Tiny real images for photo tests, built in code (no binary files in the repository)."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def png(width: int = 2, height: int = 2, *, pad: int = 0) -> bytes:
    """A valid RGB PNG; `pad` adds an ancillary chunk of that many bytes to make it bigger."""
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    extra = chunk(b"teXt", b"c\x00" + b"x" * pad) if pad else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + extra
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_header(width: int, height: int) -> bytes:
    """A PNG's signature and IHDR claiming this size, with a one-byte IDAT: shape tests only."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", b"\x00")


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


# A real 4×3 JPEG (its header is read for the size).
JPEG = _jpeg()
