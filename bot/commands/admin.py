"""Admin commands: posting, scheduling, editing, retracting, anniversaries, stats, admins."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from bot.commands.adapter_ports import ChannelLookupFailed
from bot.commands.context import Context
from bot.commands.member import tag_names as member_tag_names
from bot.commands.parsing import (
    TIME_LIKE,
    DateError,
    PostTextError,
    parse_id,
    parse_local_datetime,
    parse_month_day,
    parse_post_text,
    parse_time,
)
from bot.commands.refusals import date_refusal, tag_refusal
from bot.domain import PublishResult
from bot.formatting import Styles
from bot.photos import PHOTO_MARK, PhotoError, photo_refusal
from bot.render import hashtag, local_time
from bot.replies import (
    Button,
    Reply,
    ReplyBuilder,
    invalid,
    not_found,
    refused,
    text_reply,
    wrong_usage,
)
from bot.runs import shift
from bot.schedule.date_mentions import find_dates
from bot.schedule.occurrences import local_instant
from bot.services.anniversaries import AnniversaryFields
from bot.services.announcements import NotFound, WrongState
from bot.tags import (
    DEFAULT_TAG_LIMITS,
    TagError,
    TagLimits,
    hashtag_words,
    read_tags,
    without_hashtags,
)

_ACTOR = re.compile(r"^[a-z]+:[^\s,]+$")
_ID_THEN_TEXT = re.compile(r"^#?([0-9]{1,18})(?![0-9])\s*(.*)$", re.DOTALL)


def post_error(ctx: Context, error: PostTextError) -> Reply:
    """A clear answer for a post text that cannot be used."""
    messages = {
        "empty": ctx.t("The post is empty. Send the title on the first line, then the text."),
        "too_long": ctx.t("The post is longer than 100,000 characters."),
        "no_body": ctx.t("The post needs a text under its title (first line title, then text)."),
        "title_too_long": ctx.t("The title (first line) is longer than 256 characters."),
    }
    return invalid(messages[error.reason])


def _post_source(ctx: Context, text: str) -> tuple[str, Styles]:
    """The post text and its runs: `text` (the command's tail), or the replied-to message."""
    command = ctx.command
    if not text.strip():
        return command.reply_to_text or "", command.reply_to_styles
    # `text` is the stripped tail of the command's text, so it ends where that text ends.
    return text, shift(command.styles, len(text) - len(command.text.rstrip()))


async def post(ctx: Context) -> Reply:
    """Publish an announcement now."""
    return await _create(ctx, draft=False)


async def draft(ctx: Context) -> Reply:
    """Save an announcement without publishing it."""
    return await _create(ctx, draft=True)


async def _create(ctx: Context, *, draft: bool) -> Reply:
    limits = ctx.services.announcements.tag_limits
    try:
        text = parse_post_text(*_post_source(ctx, ctx.args), limits)
    except PostTextError as error:
        return post_error(ctx, error)
    except TagError as error:
        return tag_refusal(ctx, error)
    try:
        result = await ctx.services.announcements.post(
            text, actor=ctx.actor, draft=draft, photo=ctx.command.photo
        )
    except PhotoError as error:
        return invalid(photo_refusal(ctx.language, error))
    except TagError as error:
        return tag_refusal(ctx, error)
    item = result.announcement
    b = ReplyBuilder()
    if draft:
        b.text(ctx.t("Draft #{id} saved. Publish it with /publish {id}.", id=item.id))
    else:
        b.text(_published(ctx, item.id, result.deliveries))
    if item.has_photo:
        b.text(" " + PHOTO_MARK)
    if item.tags:
        b.text(" " + " ".join(hashtag(tag) for tag in item.tags))
    for index, mention in enumerate(find_dates(item.title + "\n" + item.body)[:3]):
        b.line().text(ctx.t("Keep {date} as an anniversary?", date=mention.on.isoformat()))
        b.buttons(
            Button(
                ctx.t("Keep {date}", date=mention.on.isoformat()),
                f"/anniversary suggest {item.id} {index}",
            )
        )
    return b.build()


def _id_and_rest(args: str) -> tuple[int, str] | None:
    match = _ID_THEN_TEXT.match(args.strip())
    if not match:
        return None
    return int(match[1]), match[2]


async def publish(ctx: Context) -> Reply:
    """Publish a draft or scheduled announcement now."""
    return await _change_by_id(
        ctx,
        ctx.services.announcements.publish,
        how=ctx.t("Usage: /publish ID, for example /publish 12"),
        done=_published,
    )


def _published(ctx: Context, announcement_id: int, count: int) -> str:
    return ctx.tn(
        "Announcement #{id} published; it goes to {count} chat.",
        "Announcement #{id} published; it goes to {count} chats.",
        count,
        id=announcement_id,
        count=count,
    )


async def _change_by_id(
    ctx: Context,
    change: Callable[..., Awaitable[PublishResult]],
    *,
    how: str,
    done: Callable[[Context, int, int], str],
) -> Reply:
    """`/command ID`: run one change on an announcement and say what it did."""
    parsed = _id_and_rest(ctx.args)
    if parsed is None or parsed[1]:
        return wrong_usage(how)
    try:
        result = await change(parsed[0], actor=ctx.actor)
    except NotFound:
        return _no_such(ctx, parsed[0])
    except WrongState as wrong:
        return _wrong_state(ctx, parsed[0], wrong)
    return text_reply(done(ctx, parsed[0], result.deliveries))


async def schedule(ctx: Context) -> Reply:
    """Publish a draft later: `/schedule ID YYYY-MM-DD HH:MM` in the society's timezone."""
    how = ctx.t(
        "Usage: /schedule ID YYYY-MM-DD HH:MM (time in {zone}), for example "
        "/schedule 12 2026-08-15 09:00",
        zone=ctx.services.zone.key,
    )
    parts = ctx.args.split()
    found_id = parse_id(parts[0]) if len(parts) == 3 else None
    if found_id is None:
        return wrong_usage(how)
    try:
        day, at = parse_local_datetime(parts[1], parts[2])
    except DateError as error:
        return date_refusal(ctx, error)
    try:
        when = local_instant(day, at, ctx.services.zone)
    except OverflowError:  # 9999-12-31 late at night west of UTC is in year 10000 there
        return date_refusal(ctx, DateError("year", parts[1]))
    if when <= ctx.services.clock.now():
        return invalid(ctx.t("That time has already passed."))
    announcement_id = found_id
    try:
        await ctx.services.announcements.schedule(announcement_id, when, actor=ctx.actor)
    except NotFound:
        return _no_such(ctx, announcement_id)
    except WrongState as wrong:
        return _wrong_state(ctx, announcement_id, wrong)
    return text_reply(
        ctx.t(
            "Announcement #{id} will be published on {when}.",
            id=announcement_id,
            when=local_time(when, ctx.services.zone) + f" ({ctx.services.zone.key})",
        )
    )


async def edit(ctx: Context) -> Reply:
    """Replace an announcement's text everywhere it was sent: `/edit ID` then the new text."""
    parsed = _id_and_rest(ctx.args)
    if parsed is None:
        return wrong_usage(ctx.t("Usage: /edit ID, then the new title and text on the next lines"))
    announcement_id, rest = parsed
    try:
        text = parse_post_text(*_post_source(ctx, rest), ctx.services.announcements.tag_limits)
    except PostTextError as error:
        return post_error(ctx, error)
    except TagError as error:
        return tag_refusal(ctx, error)
    try:
        result = await ctx.services.announcements.edit(
            announcement_id, text, actor=ctx.actor, keep_tags=not text.tags
        )
    except TagError as error:
        return tag_refusal(ctx, error)
    except NotFound:
        return _no_such(ctx, announcement_id)
    except WrongState as wrong:
        return _wrong_state(ctx, announcement_id, wrong)
    return text_reply(
        ctx.tn(
            "Announcement #{id} edited; {count} sent copy will be updated.",
            "Announcement #{id} edited; {count} sent copies will be updated.",
            result.deliveries,
            id=announcement_id,
            count=result.deliveries,
        )
    )


async def delete(ctx: Context) -> Reply:
    """Retract an announcement: every sent copy is deleted."""
    return await _change_by_id(
        ctx,
        ctx.services.announcements.retract,
        how=ctx.t("Usage: /delete ID, for example /delete 12"),
        done=_retracted,
    )


def _retracted(ctx: Context, announcement_id: int, count: int) -> str:
    return ctx.tn(
        "Announcement #{id} retracted; {count} sent copy will be removed.",
        "Announcement #{id} retracted; {count} sent copies will be removed.",
        count,
        id=announcement_id,
        count=count,
    )


def _no_such(ctx: Context, announcement_id: int) -> Reply:
    return not_found(ctx.t("There is no announcement #{id}.", id=announcement_id))


def _wrong_state(ctx: Context, announcement_id: int, wrong: WrongState) -> Reply:
    status = {
        "draft": ctx.t("a draft"),
        "scheduled": ctx.t("scheduled"),
        "published": ctx.t("already published"),
        "retracted": ctx.t("retracted"),
    }[wrong.status.value]
    return refused(
        ctx.t(
            "Announcement #{id} is {status}; that cannot be done now.",
            id=announcement_id,
            status=status,
        )
    )


ANNIVERSARY_USAGE = (
    "Usage: /anniversary add YYYY-MM-DD [HH:MM] TITLE [#tags] (or --MM-DD when the year is "
    "unknown), /anniversary edit ID YYYY-MM-DD [HH:MM] TITLE [#tags], /anniversary list, "
    "/anniversary remove ID"
)


async def anniversary(ctx: Context) -> Reply:
    """`/anniversary add|edit|list|remove|suggest ...`."""
    action, _, rest = ctx.args.strip().partition(" ")
    action = action.lower()
    if action == "add":
        return await _anniversary_save(ctx, None, rest)
    if action == "edit":
        parsed = _id_and_rest(rest)
        if parsed is None:
            return wrong_usage(ctx.t(ANNIVERSARY_USAGE))
        return await _anniversary_save(ctx, parsed[0], parsed[1])
    if action == "list":
        return await _anniversary_list(ctx)
    if action == "remove":
        parsed = _id_and_rest(rest)
        if parsed is None or parsed[1]:
            return wrong_usage(ctx.t(ANNIVERSARY_USAGE))
        if await ctx.services.anniversaries.remove(parsed[0], actor=ctx.actor):
            return text_reply(ctx.t("Anniversary #{id} removed.", id=parsed[0]))
        return not_found(ctx.t("There is no anniversary #{id}.", id=parsed[0]))
    if action == "suggest":
        return await _anniversary_suggested(ctx, rest)
    return wrong_usage(ctx.t(ANNIVERSARY_USAGE))


def parse_anniversary(text: str, limits: TagLimits = DEFAULT_TAG_LIMITS) -> AnniversaryFields:
    """`YYYY-MM-DD [HH:MM] TITLE [#tags]` → fields.

    DateError names a bad date or time, TagError a bad tag; ValueError when a part is missing.
    """
    words = text.strip().split(maxsplit=1)
    if not words:
        raise ValueError("missing")
    year, month, day = parse_month_day(words[0])
    rest = words[1] if len(words) > 1 else ""
    at: str | None = None
    pieces = rest.split(maxsplit=1)
    # Anything shaped like a time, in any script's digits, is read as one (and checked).
    if pieces and TIME_LIKE.fullmatch(pieces[0]):
        at = parse_time(pieces[0]).strftime("%H:%M")
        rest = pieces[1] if len(pieces) > 1 else ""
    tags = tuple(read_tags(hashtag_words(rest), limits, cap=limits.per_post))
    title = " ".join(without_hashtags(rest).split())
    if not title:
        raise ValueError("title")
    return AnniversaryFields(
        title=title, month=month, day=day, year=year, time_of_day=at, tags=tags
    )


async def _anniversary_save(ctx: Context, anniversary_id: int | None, text: str) -> Reply:
    try:
        fields = parse_anniversary(text, ctx.services.announcements.tag_limits)
    except DateError as error:
        return date_refusal(ctx, error)
    except TagError as error:
        return tag_refusal(ctx, error)
    except ValueError:
        return wrong_usage(ctx.t(ANNIVERSARY_USAGE))
    service = ctx.services.anniversaries
    if anniversary_id is None:
        saved = await service.add(fields, actor=ctx.actor)
        return text_reply(
            ctx.t(
                "Anniversary #{id} kept: {title}, every {date}.",
                id=saved.id,
                title=saved.title,
                date=f"{saved.month:02d}-{saved.day:02d}",
            )
        )
    updated = await service.update(anniversary_id, fields, actor=ctx.actor)
    if updated is None:
        return not_found(ctx.t("There is no anniversary #{id}.", id=anniversary_id))
    return text_reply(ctx.t("Anniversary #{id} updated.", id=anniversary_id))


async def _anniversary_list(ctx: Context) -> Reply:
    found = await ctx.services.anniversaries.all()
    if not found:
        return text_reply(ctx.t("No anniversaries are kept yet."))
    b = ReplyBuilder().bold(ctx.t("Anniversaries")).line()
    for item in found:
        when = f"{item.year:04d}-" if item.year else "--"
        when += f"{item.month:02d}-{item.day:02d}"
        b.code(f"#{item.id}").text(" ").code(when)
        if item.time_of_day:
            b.text(" " + item.time_of_day)
        b.text(" ").bold(item.title)
        if item.tags:
            b.text(" " + " ".join(hashtag(tag) for tag in item.tags))
        b.line()
    return b.build()


async def _anniversary_suggested(ctx: Context, rest: str) -> Reply:
    ids = [parse_id(p) for p in rest.split()]
    if len(ids) != 2 or ids[0] is None or ids[1] is None:
        return wrong_usage(ctx.t(ANNIVERSARY_USAGE))
    item = await ctx.services.announcements.get(ids[0])
    if item is None:
        return _no_such(ctx, ids[0])
    mentions = find_dates(item.title + "\n" + item.body)
    index = ids[1]
    if index >= len(mentions):
        return wrong_usage(ctx.t(ANNIVERSARY_USAGE))
    on = mentions[index].on
    fields = AnniversaryFields(
        title=item.title,
        month=on.month,
        day=on.day,
        year=on.year,
        announcement_id=item.id,
        tags=item.tags,
    )
    saved = await ctx.services.anniversaries.add(fields, actor=ctx.actor)
    return text_reply(
        ctx.t(
            "Anniversary #{id} kept: {title}, every {date}.",
            id=saved.id,
            title=saved.title,
            date=f"{on.month:02d}-{on.day:02d}",
        )
    )


async def stats(ctx: Context) -> Reply:
    """Numbers: announcements, chats, deliveries; or one announcement's deliveries."""
    arg = ctx.args.strip()
    announcement_id = parse_id(arg) if arg else None
    if arg and announcement_id is None:
        return wrong_usage(ctx.t("Usage: /stats [ID]"))
    b = ReplyBuilder()
    if announcement_id is None:
        counts = await ctx.services.announcements.counts()
        chats = await ctx.services.chats.counts()
        b.bold(ctx.t("Announcements")).line()
        for status in ("published", "scheduled", "draft", "retracted"):
            b.line(f"{ctx.t(status)}: {counts.get(status, 0)}")
        totals = await ctx.services.announcements.view_totals()
        if totals is not None:
            b.line(_views(ctx, *totals))
        b.bold(ctx.t("Active chats")).line()
        for platform, count in sorted(chats.items()):
            b.line(f"{platform}: {count}")
    else:
        try:
            found = await ctx.services.announcements.show(announcement_id, count_view=False)
        except NotFound:
            return _no_such(ctx, announcement_id)
        b.line(_views(ctx, found.views, found.web_views))
        b.bold(ctx.t("Deliveries of #{id}", id=announcement_id)).line()
    deliveries = await ctx.services.delivery_stats(announcement_id)
    if deliveries:
        b.bold(ctx.t("Deliveries")).line()
        for platform, states in sorted(deliveries.items()):
            line = ", ".join(f"{ctx.t(state)} {count}" for state, count in sorted(states.items()))
            b.line(f"{platform}: {line}")
    elif announcement_id is not None:
        b.line(ctx.t("Nothing was sent yet."))
    return b.build()


def _views(ctx: Context, chat: int, web: int) -> str:
    return ctx.t("Views: {chat} in chats, {web} on the website", chat=chat, web=web)


async def admin(ctx: Context) -> Reply:
    """Owners add or remove admins: `/admin add telegram:12345`."""
    action, _, actor = ctx.args.strip().partition(" ")
    actor = actor.strip()
    if action == "list":
        names = await ctx.services.access.admins()
        return text_reply(", ".join(names) if names else ctx.t("No admins were added."))
    if action not in ("add", "remove") or not _ACTOR.match(actor):
        return wrong_usage(ctx.t("Usage: /admin add|remove PLATFORM:USER_ID, e.g. telegram:12345"))
    access = ctx.services.access
    now = ctx.services.clock.now()
    if action == "add":
        changed = await access.add_admin(actor, by=ctx.actor, now=now)
    else:
        changed = await access.remove_admin(actor, by=ctx.actor, now=now)
    if action == "add":
        key = "{actor} is now an admin." if changed else "{actor} already was an admin."
    else:
        key = "{actor} is no longer an admin." if changed else "{actor} was not an admin."
    return text_reply(ctx.t(key, actor=actor))


async def target(ctx: Context) -> Reply:
    """`/target add|remove @channel [tags]`: make a channel a target (the adapter looks it up)."""
    action, _, rest = ctx.args.strip().partition(" ")
    how = ctx.t("Usage: /target add @channel [tags] or /target remove @channel")
    name, _, tag_text = rest.strip().partition(" ")
    if action not in ("add", "remove") or not name:
        return wrong_usage(how)
    chats = ctx.services.chats
    try:
        chat = await chats.target(ctx.command.channels, name, to_post=action == "add")
    except ChannelLookupFailed:
        return text_reply(ctx.t("Something went wrong; the error was logged."), failure="failed")
    if chat is None:
        return not_found(
            ctx.t(
                "I cannot see {name}. Add me to it as an admin first, then try again.",
                name=name,
            )
        )
    if action == "remove":
        removed = await chats.unsubscribe(chat, [])
        if not removed:
            return not_found(ctx.t("There was no such subscription."))
        return text_reply(ctx.t("{name} receives nothing now.", name=name))
    try:
        names = member_tag_names(tag_text, chats.tag_limits)
        await chats.subscribe(chat, names)
    except TagError as error:
        return tag_refusal(ctx, error, what="subscribe")
    what = " ".join(hashtag(n) for n in names) if names else ctx.t("everything")
    return text_reply(ctx.t("{name} now receives: {what}.", name=name, what=what))
