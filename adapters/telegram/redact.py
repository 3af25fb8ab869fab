"""Keep the bot token out of every log line, wherever in the process the line comes from."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

REDACTED = "<telegram-token>"
# `/bot<token>/method` in any URL, whatever the token looks like.
_URL_TOKEN = re.compile(r"/bot[^/\s]+/")


def scrub(text: str, token: str | None = None) -> str:
    """`text` with the token (and any `/bot<token>/` URL segment) replaced."""
    if token:
        text = text.replace(token, REDACTED)
    return _URL_TOKEN.sub(f"/bot{REDACTED}/", text)


class RedactToken(logging.Filter):
    """A logging filter that rewrites records so the token never reaches a handler."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the message, its arguments and any traceback; never drops a record."""
        token = self._token
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the handler's problem, not ours
            return True
        if token in message:
            record.msg, record.args = scrub(message, token), None
        if record.exc_info and not record.exc_text:
            text = logging.Formatter().formatException(record.exc_info)
            if token in text:
                record.exc_text = scrub(text, token)
        elif record.exc_text and token in record.exc_text:
            record.exc_text = scrub(record.exc_text, token)
        return True


class Redaction:
    """Installs a RedactToken on every record the process creates, and removes it again."""

    def __init__(self, token: str) -> None:
        self.filter = RedactToken(token)
        self._previous: Callable[..., logging.LogRecord] | None = None
        self._factory: Callable[..., logging.LogRecord] | None = None
        self._active = False

    def install(self) -> None:
        """Wrap the log record factory, so records from any logger and handler are covered."""
        self._active = True
        if self._factory is not None:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            if self._active:
                self.filter.filter(record)
            return record

        self._previous, self._factory = previous, factory
        logging.setLogRecordFactory(factory)

    def uninstall(self) -> None:
        """Stop redacting; the previous factory comes back unless another was installed since."""
        self._active = False
        if self._factory is not None and logging.getLogRecordFactory() is self._factory:
            assert self._previous is not None
            logging.setLogRecordFactory(self._previous)
            self._previous = self._factory = None
