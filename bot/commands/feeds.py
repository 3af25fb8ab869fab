"""`/feed add|list|pause|resume|remove|poll`: the society's website sources, for admins."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from bot.commands.context import Context
from bot.feeds.service import PollReport, SourceError, UnknownSource
from bot.feeds.sources import DEFAULT_EVERY, DuplicateSource, FeedSource, SourceMode, format_every
from bot.feeds.sources import parse_every as parse_interval
from bot.i18n import N_
from bot.render import local_time
from bot.replies import Reply, ReplyBuilder, text_reply
from bot.tags import split_tag_list

FEED_USAGE = N_(
    "Usage: /feed add URL [--tags a, b] [--draft] [--every 15m] [--backfill N], "
    "/feed list, /feed pause ID, /feed resume ID, /feed remove ID, /feed poll [ID]"
)
_SOURCE_ERRORS = {
    "address": N_("Only http and https addresses can be followed."),
    "backfill": N_("--backfill takes a number, 0 or more."),
    "fetch": N_("I could not fetch {url}: {detail}"),
    "not_feed": N_("{url} is not a feed I can read (RSS, Atom, JSON Feed): {detail}"),
    "no_items": N_("{url} is an HTML page without news items, and not a feed."),
}


@dataclass
class AddOptions:
    """What `/feed add` (and `herald feed add`) was given."""

    url: str
    tags: list[str] = field(default_factory=list)
    mode: SourceMode = SourceMode.PUBLISH
    every: timedelta = DEFAULT_EVERY
    backfill: int = 0


def parse_add(text: str) -> AddOptions:
    """`URL [--tags a, b] [--draft|--publish] [--every 15m] [--backfill N]`; ValueError."""
    words = text.split()
    if not words or words[0].startswith("--"):
        raise ValueError("missing URL")
    options = AddOptions(words[0])
    index = 1
    while index < len(words):
        word = words[index].lower()
        index += 1
        if word in ("--draft", "--publish"):
            options.mode = SourceMode(word[2:])
            continue
        if word not in ("--tags", "--every", "--backfill") or index >= len(words):
            raise ValueError(f"unexpected {word}")
        if word == "--tags":
            # Tags run to the next option: `--tags Friends of Korea, DPRK --draft`.
            end = next((i for i in range(index, len(words)) if words[i].startswith("--")), None)
            end = len(words) if end is None else end
            options.tags = split_tag_list(" ".join(words[index:end]))
            index = end
        elif word == "--every":
            options.every = parse_interval(words[index])
            index += 1
        else:
            if not words[index].isdigit():
                raise ValueError("--backfill takes a number")
            options.backfill = int(words[index])
            index += 1
    return options


async def feed(ctx: Context) -> Reply:
    """Route `/feed ACTION ...`."""
    service = ctx.services.feeds
    if service is None:
        return text_reply(ctx.t("Feeds are not available in this process."))
    action, _, rest = ctx.args.strip().partition(" ")
    action = action.lower()
    try:
        if action == "add":
            return await _add(ctx, rest)
        if action == "list" and not rest.strip():
            return _listing(ctx, await service.sources())
        if action in ("pause", "resume", "remove", "poll"):
            number = rest.strip().lstrip("#")
            if action == "poll" and not number:
                return _polled(ctx, await service.poll_all())
            if not number.isdigit():
                return text_reply(ctx.t(FEED_USAGE))
            source_id = int(number)
            if action == "pause":
                await service.pause(source_id)
                return text_reply(ctx.t("Feed #{id} paused.", id=source_id))
            if action == "resume":
                await service.resume(source_id)
                return text_reply(ctx.t("Feed #{id} resumed; it is polled now.", id=source_id))
            if action == "remove":
                await service.remove(source_id)
                return text_reply(
                    ctx.t("Feed #{id} removed; its announcements stay.", id=source_id)
                )
            return _polled(ctx, [await service.poll(source_id, force=True)])
    except UnknownSource as unknown:
        return text_reply(ctx.t("There is no feed #{id}.", id=unknown.args[0]))
    return text_reply(ctx.t(FEED_USAGE))


async def _add(ctx: Context, rest: str) -> Reply:
    service = ctx.services.feeds
    assert service is not None
    try:
        options = parse_add(rest)
    except ValueError:
        return text_reply(ctx.t(FEED_USAGE))
    try:
        added = await service.add(
            options.url, actor=ctx.actor, tags=options.tags, mode=options.mode,
            every=options.every, backfill=options.backfill,
        )  # fmt: skip
    except DuplicateSource as twice:
        return text_reply(ctx.t("That address is already feed #{id}.", id=twice.source_id))
    except SourceError as error:
        return text_reply(ctx.t(_SOURCE_ERRORS[error.reason], url=error.url, detail=error.detail))
    source = added.source
    b = ReplyBuilder().text(
        ctx.tn(
            "Feed #{id} added ({kind}): {count} entry there now is taken as seen.",
            "Feed #{id} added ({kind}): {count} entries there now are taken as seen.",
            added.entries,
            id=source.id,
            kind=source.kind.value,
            count=added.entries,
        )
    )
    if added.created:
        b.text(" " + ctx.t("Backfilled: {ids}.", ids=", ".join(f"#{i}" for i in added.created)))
    b.line().text(
        ctx.t(
            "New entries become {mode} announcements; polled every {every}.",
            mode=ctx.t("published") if source.mode is SourceMode.PUBLISH else ctx.t("draft"),
            every=format_every(source.every),
        )
    )
    return b.build()


def _listing(ctx: Context, sources: list[FeedSource]) -> Reply:
    if not sources:
        return text_reply(ctx.t("No feeds yet. Add one with /feed add URL."))
    b = ReplyBuilder().bold(ctx.t("Feeds")).line()
    zone = ctx.services.zone
    never = ctx.t("never")
    for source in sources:
        state = ctx.t("paused") if source.paused else ctx.t("active")
        if source.failures:
            state += ", " + ctx.tn(
                "{count} failure in a row", "{count} failures in a row", source.failures,
                count=source.failures,
            )  # fmt: skip
        b.line().bold(f"#{source.id}").text(f" {source.url}").line()
        b.text(
            ctx.t(
                "{kind}, {mode}, every {every}; {state}",
                kind=source.kind.value,
                mode=source.mode.value,
                every=format_every(source.every),
                state=state,
            )
        )
        if source.tags:
            b.text(" · " + ", ".join(source.tags))
        b.line().text(
            ctx.t(
                "last success: {success} · next poll: {next}",
                success=local_time(source.last_success, zone) or never,
                next=ctx.t("paused") if source.paused else local_time(source.next_poll, zone),
            )
        )
        if source.last_error:
            b.line().text(
                ctx.t(
                    "last error ({when}): {error}",
                    when=local_time(source.last_error_at, zone),
                    error=source.last_error,
                )
            )
        b.line()
    return b.build()


def _polled(ctx: Context, reports: list[PollReport]) -> Reply:
    if not reports:
        return text_reply(ctx.t("No active feeds to poll."))
    b = ReplyBuilder()
    for report in reports:
        if report.status == "failed":
            line = ctx.t("Feed #{id}: failed: {error}", id=report.source_id, error=report.error)
        elif report.status == "not_modified":
            line = ctx.t("Feed #{id}: not changed.", id=report.source_id)
        elif report.status == "paused":
            line = ctx.t("Feed #{id}: paused.", id=report.source_id)
        else:
            line = ctx.t(
                "Feed #{id}: {new} new, {edited} edited.",
                id=report.source_id, new=len(report.created), edited=len(report.edited),
            )  # fmt: skip
        b.line(line)
    return b.build()
