"""Keeps the bot token out of every log line and error message."""

from __future__ import annotations

import logging
import traceback
from typing import Any

_SECRETS: set[str] = set()
_installed = False
MASK = "[redacted]"


def redact(text: str) -> str:
    """`text` with every registered secret masked."""
    for secret in _SECRETS:
        if secret and secret in text:
            text = text.replace(secret, MASK)
    return text


def _scrub(record: logging.LogRecord) -> None:
    if not _SECRETS:
        return
    try:
        message = record.getMessage()
    except Exception:
        message = str(record.msg)
    clean = redact(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and record.exc_info[1] is not None:
        text = "".join(traceback.format_exception(*record.exc_info))
        if redact(text) != text:
            record.exc_text = redact(text).rstrip("\n")
            record.exc_info = None


class TokenRedactor(logging.Filter):
    """A logging filter that masks registered secrets in the message and the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Scrub the record; never drops it."""
        _scrub(record)
        return True


def install_redaction(secret: str) -> None:
    """Register `secret` and scrub it from every log record made from now on, by any logger."""
    global _installed
    if secret:
        _SECRETS.add(secret)
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _scrub(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
