"""python-telegram-bot's log lines that are no operator's business, made proportionate."""

from __future__ import annotations

import logging

# PTB's Updater logs this at ERROR, with the traceback, when the one last getUpdates it sends
# while stopping (timeout 0, to confirm the offset) fails; at worst a few updates come again
# after the restart, which the handlers take in their stride.
_FINAL_POLL = "Error while calling `get_updates` one more time"
UPDATER_LOGGER = "telegram.ext.Updater"


class FinalPollNoise(logging.Filter):
    """Turns the failed last getUpdates on stop into one WARNING line without a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite that one record; every other passes unchanged."""
        if not isinstance(record.msg, str) or not record.msg.startswith(_FINAL_POLL):
            return True
        error = record.exc_info[1] if record.exc_info else None
        reason = f"{type(error).__name__}: {error}" if error is not None else "unknown error"
        record.msg = (
            "telegram: the last getUpdates while stopping failed (%s); "
            "a few updates may arrive again after the restart"
        )
        record.args = (reason,)
        record.exc_info, record.exc_text = None, None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


NOISE = FinalPollNoise()


def quiet_updater_logs() -> None:
    """Install the filter on PTB's Updater logger (once)."""
    logger = logging.getLogger(UPDATER_LOGGER)
    if NOISE not in logger.filters:
        logger.addFilter(NOISE)
