"""Clear answers for input that cannot be used: tags, dates and times, page numbers."""

from __future__ import annotations

from bot.commands.context import Context
from bot.commands.parsing import MAX_YEAR, MIN_YEAR, DateError
from bot.paging import MAX_PAGE, PageError
from bot.replies import Reply, invalid, not_found, wrong_usage
from bot.tags import TagError


def tag_refusal(ctx: Context, error: TagError, *, what: str = "post") -> Reply:
    """Why the tags were refused, naming the tag; `what`: post, subscribe or chat."""
    name = error.shown_name()
    if error.reason == "too_long":
        text = ctx.t(
            "The tag “{name}” is longer than {limit} characters.", name=name, limit=error.limit
        )
        if what == "subscribe":
            text += " " + ctx.t("Separate tags with commas: /subscribe Korea, History")
    elif error.reason == "unusable":
        text = ctx.t("“{name}” cannot be a tag: a tag needs a letter or a digit.", name=name)
    elif error.reason == "chat_full":
        text = ctx.t(
            "This chat would follow {count} tags; at most {limit}. "
            "See /subscriptions and unsubscribe from some first.",
            count=error.count,
            limit=error.limit,
        )
    elif what == "subscribe":
        text = ctx.t(
            "That is {count} tags at once; at most {limit}.", count=error.count, limit=error.limit
        )
    else:
        text = ctx.t(
            "That is {count} tags for one announcement; at most {limit}.",
            count=error.count,
            limit=error.limit,
        )
    return invalid(text)


def date_refusal(ctx: Context, error: DateError) -> Reply:
    """Why a date or time was refused, naming the value as typed."""
    value = error.value[:40]
    messages = {
        "date_format": ctx.t(
            "{value} is not a date: write YYYY-MM-DD, e.g. 1945-08-15.", value=value
        ),
        "time_format": ctx.t("{value} is not a time: write HH:MM, e.g. 09:30.", value=value),
        "digits": ctx.t("{value}: write dates and times with the digits 0-9.", value=value),
        "not_a_date": ctx.t("{value} is not a date.", value=value),
        "year": ctx.t(
            "{value}: the year must be between {first} and {last}.",
            value=value,
            first=MIN_YEAR,
            last=MAX_YEAR,
        ),
        "not_a_time": ctx.t("{value} is not a time of day (00:00 to 23:59).", value=value),
    }
    # A value not even shaped like a date or time is a usage error; a wrong one is invalid.
    if error.reason in ("date_format", "time_format"):
        return wrong_usage(messages[error.reason])
    return invalid(messages[error.reason])


def page_refusal(ctx: Context, error: PageError) -> Reply:
    """A page number that is not one."""
    return wrong_usage(
        ctx.t(
            "“{value}” is not a page number: use 1 to {last}.",
            value=error.value[:20],
            last=MAX_PAGE,
        )
    )


def past_the_end(ctx: Context, page: int, pages: int) -> Reply:
    """A page after the last one."""
    return not_found(
        ctx.t(
            "Page {page} is past the end (the last page is {pages}).",
            page=page,
            pages=max(pages, 1),
        )
    )
