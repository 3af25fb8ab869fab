"""Building the feed service over a real store, a real fetcher and the loopback site."""

from __future__ import annotations

from dataclasses import dataclass, field

from adapters.feeds.fetch import HttpFetcher
from bot.domain import PublishResult
from bot.feeds.entries import FeedParser
from bot.feeds.service import FeedService
from bot.feeds.sources import FeedSource
from bot.ports import Clock
from storage.repository import Repository
from tests.feeds.simple_parser import SimpleParser


@dataclass
class Notices:
    """Records what admins would be told."""

    events: list[tuple[str, int, int]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    async def failing(self, source: FeedSource, failures: int, error: str) -> None:
        """Record it."""
        self.events.append(("failing", source.id, failures))
        self.errors.append(error)

    async def recovered(self, source: FeedSource, failures: int) -> None:
        """Record it."""
        self.events.append(("recovered", source.id, failures))

    async def draft(self, source: FeedSource, result: PublishResult) -> None:
        """Record it."""
        self.events.append(("draft", source.id, result.announcement.id))


def feed_service(
    repo: Repository,
    fetcher: HttpFetcher,
    clock: Clock,
    notices: Notices | None = None,
    parser: FeedParser | None = None,
) -> FeedService:
    """The service with no jitter, so the next poll is exact (the small parser by default)."""
    return FeedService(
        repo.feeds, fetcher, parser or SimpleParser(), clock, notices=notices,
        jitter=lambda _s: 0.0,
    )  # fmt: skip
