"""What the core counts for operators (the Metrics port); adapters/http exports it to Prometheus."""

from __future__ import annotations

from typing import Protocol


class Metrics(Protocol):
    """Counters and timings the delivery engine, the commands and the scheduler report.

    Labels are small fixed sets (platform names, outcomes, command names): never a chat or
    user id, so the number of series stays bounded whatever the society does.
    """

    def delivery(self, platform: str, action: str, outcome: str) -> None:
        """One claimed row finished: sent, retry, dead, skipped, chat_gone or chat_moved."""
        ...

    def send_latency(self, platform: str, action: str, seconds: float) -> None:
        """How long one platform call (send, edit or delete) took, answered or not."""
        ...

    def rate_limited(self, platform: str) -> None:
        """The platform answered 429 (retry later)."""
        ...

    def command(self, name: str, outcome: str, seconds: float) -> None:
        """One chat command answered: ok, refused, unknown or error."""
        ...

    def anniversaries_fired(self, count: int) -> None:
        """The scheduler fired `count` anniversary occurrences (notices and reminders)."""
        ...


class NoMetrics:
    """Counts nothing: the default where no exporter is wired in (CLI commands, tests)."""

    def delivery(self, platform: str, action: str, outcome: str) -> None:
        """Ignored."""

    def send_latency(self, platform: str, action: str, seconds: float) -> None:
        """Ignored."""

    def rate_limited(self, platform: str) -> None:
        """Ignored."""

    def command(self, name: str, outcome: str, seconds: float) -> None:
        """Ignored."""

    def anniversaries_fired(self, count: int) -> None:
        """Ignored."""
