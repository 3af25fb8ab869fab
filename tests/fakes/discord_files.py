"""The fake Discord's files: multipart uploads on messages, and attachment URLs on loopback."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web

JSON = dict[str, Any]

# Discord's upload limit for bots in servers without boosts.
ATTACHMENT_LIMIT = 10 * 1024 * 1024


@dataclass
class FakeAttachments:
    """Every file the fake holds, served at `/attachments/{id}/{filename}`."""

    root: str = ""
    files: dict[int, tuple[str, bytes, str]] = field(default_factory=dict)
    downloads: list[int] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(9_000_000_001))

    def store(self, filename: str, data: bytes, content_type: str = "image/png") -> JSON:
        """Keep a file; its attachment object."""
        attachment_id = next(self._ids)
        self.files[attachment_id] = (filename, data, content_type)
        url = f"{self.root}/attachments/{attachment_id}/{filename}"
        return {"id": str(attachment_id), "filename": filename, "size": len(data), "url": url,
                "proxy_url": url, "content_type": content_type}

    async def serve(self, request: web.Request) -> web.Response:
        """GET an attachment's bytes (what `discord.Attachment.read()` fetches)."""
        attachment_id = int(request.match_info["attachment_id"])
        found = self.files.get(attachment_id)
        if found is None or found[0] != request.match_info["filename"]:
            return web.Response(status=404)
        self.downloads.append(attachment_id)
        return web.Response(body=found[1], content_type=found[2])


async def read_multipart(request: web.Request) -> tuple[JSON, list[tuple[str, bytes, str]]]:
    """payload_json and the `files[n]` parts of a multipart request."""
    body: JSON = {}
    files: list[tuple[str, bytes, str]] = []
    reader = await request.multipart()
    async for part in reader:
        if not isinstance(part, BodyPartReader):
            continue
        name = part.name or ""
        if name == "payload_json":
            body = await part.json() or {}
        elif name.startswith("files["):
            data = bytes(await part.read())
            filename = part.filename or "file"
            ctype = part.headers.get("Content-Type", "application/octet-stream")
            files.append((filename, data, ctype))
    return body, files
