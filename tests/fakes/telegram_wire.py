"""The Bot API's wire rules as the fake enforces them: bodies, HTML entities, text limits."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

from aiohttp import web

JSON = dict[str, Any]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
MAX_ENTITIES = 100
DELETE_WINDOW = 48 * 3600
BLOCKED = "Forbidden: bot was blocked by the user"
# What Telegram marks as a bot_command entity at the start of a message.
BOT_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{3,64})?(?![^\s])")
# Counted against the rate limits when enforcement is on.
MESSAGING = {
    "sendMessage", "sendPhoto", "editMessageText", "editMessageCaption", "editMessageMedia",
    "copyMessage",
}
_JSON_FIELDS = {
    "reply_markup", "entities", "caption_entities", "commands", "scope", "allowed_updates",
    "link_preview_options", "reply_parameters", "media",
}
_INT_FIELDS = {"message_id", "offset", "limit", "timeout", "user_id", "max_connections"}
_BOOL_FIELDS = {
    "disable_web_page_preview", "disable_notification", "protect_content", "show_alert",
    "drop_pending_updates", "allow_paid_broadcast",
}
_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "code": "code", "pre": "pre", "a": "text_link", "tg-spoiler": "spoiler",
    "blockquote": "blockquote", "span": "spoiler", "tg-emoji": "custom_emoji",
}


def utf16_len(text: str) -> int:
    """Length of `text` in UTF-16 code units, as Telegram counts."""
    return len(text.encode("utf-16-le")) // 2


class ApiError(Exception):
    """An error the fake answers with, in Telegram's envelope."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


class _EntityParser(HTMLParser):
    """Telegram's HTML parse mode: text plus entities, strict about tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text = ""
        self.entities: list[JSON] = []
        self._open: list[tuple[str, int, JSON]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _TAGS:
            raise ApiError(400, f"Bad Request: can't parse entities: Unsupported tag \"{tag}\"")
        _check_nesting(tag, [open_tag for open_tag, _, _ in self._open])
        if tag == "span" and dict(attrs).get("class") != "tg-spoiler":
            raise ApiError(400, "Bad Request: can't parse entities: Unsupported span")
        entity: JSON = {"type": _TAGS[tag]}
        if tag == "code" and self._open and self._open[-1][0] == "pre":
            # `<pre><code class="language-x">` is one pre entity with a language.
            language = (dict(attrs).get("class") or "").removeprefix("language-")
            entity["in_pre"] = language
        if tag == "a":
            href = dict(attrs).get("href")
            if not href:
                raise ApiError(400, "Bad Request: can't parse entities: Empty href")
            entity["url"] = href
        self._open.append((tag, utf16_len(self.text), entity))

    def handle_endtag(self, tag: str) -> None:
        if not self._open or self._open[-1][0] != tag:
            raise ApiError(
                400, f"Bad Request: can't parse entities: Unexpected end tag \"{tag}\""
            )
        _, start, entity = self._open.pop()
        if "in_pre" in entity:
            if entity["in_pre"]:
                self._open[-1][2]["language"] = entity["in_pre"]
            return
        length = utf16_len(self.text) - start
        if length:
            self.entities.append({**entity, "offset": start, "length": length})

    def handle_data(self, data: str) -> None:
        self.text += data

    def finish(self) -> None:
        self.close()
        if self._open:
            raise ApiError(
                400, f"Bad Request: can't parse entities: No end tag \"{self._open[-1][0]}\""
            )
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        # Telegram keeps the first 100 entities of a message and silently drops the rest.
        del self.entities[MAX_ENTITIES:]


def _check_nesting(tag: str, open_tags: list[str]) -> None:
    """Telegram's nesting rules: nothing inside code (but code in pre), no link in a link."""
    inner = open_tags[-1] if open_tags else None
    if inner in {"code", "pre"} and not (inner == "pre" and tag == "code"):
        raise ApiError(400, f"Bad Request: can't parse entities: \"{tag}\" inside \"{inner}\"")
    same = {"a": {"a"}, "blockquote": {"blockquote"}}.get(tag, set())
    if same & set(open_tags):
        raise ApiError(400, f"Bad Request: can't parse entities: nested \"{tag}\"")


# A `<` that opens no tag and a `&` that starts no character reference are refused.
_STRAY = re.compile(
    r"<(?!/?[A-Za-z][\w-]*(?:\s[^<>]*)?>)|&(?!(?:#\d+|#x[0-9A-Fa-f]+|[A-Za-z]+);)"
)


def parse_html(source: str) -> tuple[str, list[JSON]]:
    """Parse Telegram HTML into plain text and entities, raising 400 like Telegram does."""
    stray = _STRAY.search(source)
    if stray is not None:
        where = f"unescaped \"{stray[0]}\" at offset {stray.start()}"
        raise ApiError(400, f"Bad Request: can't parse entities: {where}")
    parser = _EntityParser()
    parser.feed(source)
    parser.finish()
    return parser.text, parser.entities


def parse_text(params: JSON, key: str, limit: int, too_long: str, *, allow_empty: bool = False
                ) -> tuple[str, list[JSON]]:
    raw = str(params.get(key) or "")
    mode = str(params.get("parse_mode") or "").lower()
    if mode == "html":
        text, entities = parse_html(raw)
    elif mode:
        raise ApiError(400, f"Bad Request: unsupported parse_mode {mode!r} in this fake")
    else:
        text = raw
        entities = list(params.get("entities") or params.get("caption_entities") or [])
    if not text.strip() and not allow_empty:
        raise ApiError(400, "Bad Request: message text is empty")
    if utf16_len(text) > limit:
        raise ApiError(400, f"Bad Request: {too_long}")
    return text, entities


def coerce(name: str, value: str) -> Any:
    if name in _JSON_FIELDS:
        return json.loads(value)
    if name in _INT_FIELDS:
        return int(value)
    if name in _BOOL_FIELDS:
        return value.lower() in {"true", "1"}
    return value


async def read_params(request: web.Request) -> JSON:
    params: JSON = {k: coerce(k, v) for k, v in request.query.items()}
    if request.method != "POST" or not request.can_read_body:
        return params
    if request.content_type == "application/json":
        body = await request.json()
        if not isinstance(body, dict):
            raise ValueError("JSON body must be an object")
        return {**params, **body}
    form = await request.post()
    for name, value in form.items():
        if isinstance(value, str):
            params[name] = coerce(name, value)
        elif isinstance(value, web.FileField):
            params[name] = value.file.read()
        else:
            params[name] = bytes(value)
    return params
