"""Fetching other sites politely for the feed poller: limits, redirects, one per host."""

from adapters.feeds.fetch import HttpFetcher, user_agent

__all__ = ["HttpFetcher", "user_agent"]
