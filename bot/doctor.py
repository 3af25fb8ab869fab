"""What `herald doctor` reports: one finding per check, and the clock compared with a server's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

# A clock further off than this breaks schedules and makes tokens look expired.
MAX_CLOCK_OFFSET = 30.0


@dataclass(frozen=True, slots=True)
class Finding:
    """One check: passed or not, what was seen, and what to fix."""

    check: str
    ok: bool
    detail: str


def clock_offset(date_header: str | None, now: datetime) -> float | None:
    """Seconds this clock is ahead of the server's Date header (None without one)."""
    if not date_header:
        return None
    try:
        server = parsedate_to_datetime(date_header)
    except (TypeError, ValueError):
        return None
    return (now - server).total_seconds()


def clock_finding(platform: str, offset: float | None) -> Finding:
    """The clock check against one platform's Date header."""
    if offset is None:
        return Finding(f"{platform} clock", True, "the server sent no Date header")
    detail = f"this clock is {offset:+.1f} s from {platform}'s"
    if abs(offset) > MAX_CLOCK_OFFSET:
        return Finding(f"{platform} clock", False, detail + ": enable NTP (timedatectl)")
    return Finding(f"{platform} clock", True, detail)
