"""Logging setup: one readable line per event, secrets redacted everywhere."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import unquote

from bot.settings import Settings

# Bot API URLs carry the token in the path: /bot<token>/method.
_BOT_URL_TOKEN = re.compile(r"(/bot)\d+:[A-Za-z0-9_-]{20,}")


class RedactSecrets(logging.Filter):
    """Replaces every configured secret (and any Bot API token in a URL) with '***'."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """The text with secrets hidden."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return _BOT_URL_TOKEN.sub(r"\1***", text)

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message (and traceback text) without secrets."""
        message = record.getMessage()
        clean = self.redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            record.exc_summary = self.redact(_summary(error))
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def _summary(error: BaseException) -> str:
    """`ValueError: the reason`, on one line."""
    detail = " ".join(str(error).split())[:300]
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__


class OneLineFormatter(logging.Formatter):
    """One readable line per event: an exception is named on it, its traceback left out.

    The traceback is written only with `tracebacks` (HERALD_LOG_LEVEL=DEBUG); the JSON log
    always carries it. So a terminal running `herald run` never shows one by default.
    """

    def __init__(self, *, tracebacks: bool) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self._tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line, or with its traceback when debugging."""
        if self._tracebacks:
            return super().format(record)
        summary = getattr(record, "exc_summary", None)
        if summary is None and record.exc_info and record.exc_info[1] is not None:
            summary = _summary(record.exc_info[1])
        if summary is None and record.exc_text:
            summary = record.exc_text.strip().splitlines()[-1]  # the exception's own line
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        try:
            line = super().format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved
        return f"{line} ({summary})" if summary else line


def secrets_of(settings: Settings) -> list[str]:
    """Every secret value in the settings, including a database password."""
    found = [
        secret.get_secret_value()
        for secret in (
            settings.telegram_token,
            settings.discord_token,
            settings.telegram_webhook_secret,
        )
        if secret is not None
    ]
    password = database_password(settings.database_url)
    if password:
        found.append(password)
    return found


def database_password(url: str) -> str | None:
    """The password in a database URL (`scheme://user:password@host/db`), percent-decoded."""
    # Parsed as SQLAlchemy's make_url does: the password runs from the first ':' after the
    # scheme's '//' to the first '@'; the URL escapes any '@' or ':' inside it.
    _, _, rest = url.partition("://")
    authority = rest.split("/", 1)[0]
    if "@" not in authority:
        return None
    user_info = authority.split("@", 1)[0]
    if ":" not in user_info:
        return None
    return unquote(user_info.split(":", 1)[1]) or None


# Libraries that talk a lot at INFO (alembic's plugin list, APScheduler's every sweep, httpx's
# every request URL): WARNING unless HERALD_LOG_LEVEL=DEBUG.
QUIET_LIBRARIES = (
    "alembic", "apscheduler", "httpx", "httpcore", "aiohttp", "aiosqlite", "discord",
    "telegram", "sqlalchemy", "asyncio", "hpack", "websockets", "psycopg",
)  # fmt: skip


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, exception."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and record.exc_info[1] is not None:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(settings: Settings) -> None:
    """Log to stderr at HERALD_LOG_LEVEL in HERALD_LOG_FORMAT, secrets redacted on every line."""
    handler = logging.StreamHandler()
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(OneLineFormatter(tracebacks=settings.log_level == "DEBUG"))
    handler.addFilter(RedactSecrets(secrets_of(settings)))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    quiet = logging.DEBUG if settings.log_level == "DEBUG" else logging.WARNING
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(quiet)
