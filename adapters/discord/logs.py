"""Quiets discord.py's logging to what a Herald operator needs: one clear line per outage."""

from __future__ import annotations

import asyncio
import logging

_VOICE = ("PyNaCl is not installed", "davey is not installed")


class GatewayNoise(logging.Filter):
    """Drops voice warnings; turns reconnect tracebacks into one line per outage."""

    def __init__(self) -> None:
        super().__init__()
        self.reported = False
        self.outage: asyncio.Event | None = None

    def connected(self) -> None:
        """The gateway is up again: the next outage gets its line."""
        self.reported = False

    def watch(self) -> asyncio.Event:
        """A fresh event (bound to the running loop) set when the next outage is reported."""
        self.reported = False
        self.outage = asyncio.Event()
        return self.outage

    def report(self) -> None:
        """An outage line is being logged; later failures of the same outage stay quiet."""
        self.reported = True
        if self.outage is not None:
            self.outage.set()

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep, shorten or drop one discord.py record."""
        message = str(record.msg)
        if message.startswith(_VOICE):
            return False
        if message.startswith("logging in using static token") and self.reported:
            return False
        if message.startswith("Attempting a reconnect"):
            if self.reported:
                return False
            self.report()
            error = record.exc_info[1] if record.exc_info else None
            reason = f"{type(error).__name__}: {error}" if error is not None else "unknown error"
            record.msg = "Discord gateway unreachable (%s); reconnecting in the background"
            record.args = (reason,)
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


NOISE = GatewayNoise()


def quiet_discord_logs() -> None:
    """Install the filter on discord.py's client logger (once)."""
    logger = logging.getLogger("discord.client")
    if NOISE not in logger.filters:
        logger.addFilter(NOISE)
