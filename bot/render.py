"""Neutral rendering of announcements and listings into Replies."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain import Announcement, Page
from bot.photos import PHOTO_MARK
from bot.replies import Button, ReplyBuilder
from bot.runs import flat_runs
from bot.tags import hashtag

__all__ = ["hashtag"]

Translate = Callable[..., str]
PREVIEW_LENGTH = 160


def local_time(when: datetime | None, zone: ZoneInfo) -> str:
    """`YYYY-MM-DD HH:MM` in the society's timezone."""
    return "" if when is None else when.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def local_date(when: datetime | None, zone: ZoneInfo) -> str:
    """`YYYY-MM-DD` in the society's timezone."""
    return "" if when is None else when.astimezone(zone).strftime("%Y-%m-%d")


def announcement_full(
    builder: ReplyBuilder, item: Announcement, zone: ZoneInfo, t: Translate
) -> ReplyBuilder:
    """Title, body, signature, tags and the facts line."""
    builder.bold(item.title).line().line()
    builder.styled(item.body, flat_runs(item.body, item.body_styles)).line()
    if item.signature:
        builder.line().italic(item.signature).line()
    if item.tags:
        builder.line().line(" ".join(hashtag(tag) for tag in item.tags))
    facts = [f"#{item.id}"]
    if item.has_photo:
        facts.append(PHOTO_MARK)
    if item.published_at:
        facts.append(local_time(item.published_at, zone))
    if item.category:
        facts.append(t("Category: {name}", name=item.category))
    if item.web_views:
        web = t("Views: {chat} in chats, {web} on the website", chat=item.views, web=item.web_views)
        facts.append(web)
    else:
        facts.append(t("Views: {count}", count=item.views))
    builder.line().italic(" · ".join(facts))
    return builder


def preview(text: str, length: int = PREVIEW_LENGTH) -> str:
    """The first `length` characters of the text on one line, cut at a word."""
    flat = " ".join(text.split())
    if len(flat) <= length:
        return flat
    cut = flat[:length].rsplit(" ", 1)[0]
    return cut + "…"


def announcement_list(
    builder: ReplyBuilder, page: Page[Announcement], zone: ZoneInfo, t: Translate
) -> ReplyBuilder:
    """One entry per announcement: id, title, date, tags, a preview."""
    for item in page.items:
        builder.code(f"#{item.id}").text(" ").bold(item.title).line()
        details = [local_date(item.published_at, zone)]
        if item.has_photo:
            details.append(PHOTO_MARK)
        if item.tags:
            details.append(" ".join(hashtag(tag) for tag in item.tags))
        builder.italic(" · ".join(d for d in details if d)).line()
        builder.line(preview(item.body)).line()
    if page.pages > 1:
        builder.italic(t("Page {page} of {pages}", page=page.page, pages=page.pages))
    return builder


def pager(
    builder: ReplyBuilder, page: Page[Any], action: Callable[[int], str], t: Translate
) -> ReplyBuilder:
    """Prev/Next buttons whose actions re-run the listing at another page."""
    buttons: list[Button] = []
    if page.page > 1:
        buttons.append(Button(t("◀ Previous"), action(page.page - 1)))
    if page.page < page.pages:
        buttons.append(Button(t("Next ▶"), action(page.page + 1)))
    return builder.buttons(*buttons)
