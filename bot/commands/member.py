"""Member commands: subscribing, reading, searching, language."""

from __future__ import annotations

import hashlib
import math
import re

from bot.commands.context import Context
from bot.commands.parsing import parse_id
from bot.commands.refusals import page_refusal, past_the_end, tag_refusal
from bot.domain import Page
from bot.i18n import LANGUAGE_NAMES, LANGUAGES, N_, translate
from bot.paging import PageError, parse_page
from bot.render import announcement_full, announcement_list, hashtag, pager
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
from bot.schedule.ordinals import is_jubilee, ordinal
from bot.services.announcements import SEARCH_TOTAL_CAP, NotFound, UnknownTag
from bot.tags import DEFAULT_TAG_LIMITS, TagError, TagLimits, checked_tag, read_tags

MAX_SAVED_SEARCHES = 1000
TAGS_SHOWN = 50
# How many announcements `/latest PAGE COUNT` may put on a page.
LATEST_COUNT_MAX = 10


def tag_names(args: str, limits: TagLimits = DEFAULT_TAG_LIMITS) -> list[str]:
    """Tags from `#a #b`, `a, b` or a single multi-word name; [] for none.

    TagError when a tag cannot be used or there are more than `limits.per_subscribe`: text
    that is there but is no tag never becomes "everything".
    """
    if not args.strip():
        return []
    if "," in args or ";" in args:
        parts = re.split(r"[,;]", args)
    elif "#" in args:
        parts = args.split("#")
    else:
        parts = [args]
    names = read_tags(parts, limits, cap=limits.per_subscribe)
    if not names:
        raise TagError("unusable", args)
    return names


async def start(ctx: Context) -> Reply:
    """Greeting with the first steps."""
    b = ReplyBuilder().bold(ctx.t("Welcome to Herald!")).line().line()
    b.line(ctx.t("I publish the society's announcements here and remember its anniversaries."))
    b.line(ctx.t("/subscribe — receive every announcement; /subscribe TAG — only some."))
    b.line(ctx.t("/latest — the newest announcements; /tags — what they are about."))
    b.text(ctx.t("/help — every command."))
    return b.build()


MEMBER_HELP = (
    ("subscribe", N_("[tags]"), "Subscribe this chat to everything, or to tags"),
    ("unsubscribe", N_("[tags]"), "Unsubscribe from tags, or from everything"),
    ("subscriptions", "", "Show this chat's subscriptions"),
    ("latest", N_("[page] [count]"), "The newest announcements"),
    ("tag", N_("TAG [page]"), "Announcements with a tag"),
    ("tags", N_("[page]"), "Every tag, with counts"),
    ("search", N_("WORDS"), "Find announcements by words"),
    ("show", "ID", "Show one announcement"),
    ("anniversaries", "", "The next anniversaries"),
    ("lang", "en|ru|ko", "Change the language"),
)
ADMIN_HELP = (
    ("post", N_("TITLE\\nBODY"), "Publish an announcement (last line: Tags: a, b)"),
    ("draft", N_("TITLE\\nBODY"), "Save an announcement without publishing"),
    ("publish", "ID", "Publish a draft now"),
    ("schedule", "ID YYYY-MM-DD HH:MM", "Publish a draft later (society time)"),
    ("edit", N_("ID TITLE\\nBODY"), "Replace an announcement's text everywhere"),
    ("delete", "ID", "Retract an announcement everywhere"),
    ("anniversary", "add|edit|list|remove", "Manage anniversaries"),
    ("feed", "add|list|pause|resume|remove|poll", "Follow the society's website"),
    ("stats", "[ID]", "Numbers, or one announcement's deliveries"),
    ("target", N_("add|remove @channel [tags]"), "Make a Telegram channel a target"),
    ("admin", "add|remove|list PLATFORM:USER_ID", "Manage admins (owners only)"),
)


# Placeholders that name things (TAG, WORDS) are translated; literal keywords are not.
_TRANSLATED_USAGE = frozenset(
    usage for table in (MEMBER_HELP, ADMIN_HELP) for _, usage, _ in table if usage
) - {
    "ID",
    "[ID]",
    "en|ru|ko",
    "ID YYYY-MM-DD HH:MM",
    "add|edit|list|remove",
    "add|list|pause|resume|remove|poll",
    "add|remove|list PLATFORM:USER_ID",
}


def _usage(ctx: Context, name: str, usage: str) -> str:
    shown = ctx.t(usage) if usage in _TRANSLATED_USAGE else usage
    return f"/{name} {shown}".rstrip()


async def help_(ctx: Context) -> Reply:
    """Every command the sender may use."""
    b = ReplyBuilder().bold(ctx.t("Commands")).line()
    for name, usage, description in MEMBER_HELP:
        b.code(f"/{name} {ctx.t(usage) if usage else ''}".rstrip()).text(
            " — " + ctx.t(description)
        ).line()
    if ctx.is_admin:
        b.line().bold(ctx.t("Admin commands")).line()
        for name, usage, description in ADMIN_HELP:
            b.code(f"/{name} {ctx.t(usage) if usage else ''}".rstrip()).text(
                " — " + ctx.t(description)
            ).line()
    return b.build()


async def subscribe(ctx: Context) -> Reply:
    """Subscribe the chat to everything or to tags."""
    if not ctx.may_change_chat:
        return refused(ctx.t("Only this chat's admins can change its subscriptions."))
    try:
        names = tag_names(ctx.args, ctx.services.chats.tag_limits)
        added = await ctx.services.chats.subscribe(ctx.chat, names)
    except TagError as error:
        return tag_refusal(ctx, error, what="subscribe")
    if not names:
        if added:
            return text_reply(ctx.t("Subscribed to every announcement."))
        return text_reply(ctx.t("This chat already receives every announcement."))
    if not added:
        return text_reply(ctx.t("Already subscribed to those tags."))
    tags = " ".join(hashtag(name) for name in added)
    return text_reply(ctx.t("Subscribed to {tags}.", tags=tags))


async def unsubscribe(ctx: Context) -> Reply:
    """Unsubscribe from tags, or from everything."""
    if not ctx.may_change_chat:
        return refused(ctx.t("Only this chat's admins can change its subscriptions."))
    try:
        names = tag_names(ctx.args, ctx.services.chats.tag_limits)
        removed = await ctx.services.chats.unsubscribe(ctx.chat, names)
    except TagError as error:
        return tag_refusal(ctx, error, what="subscribe")
    if not removed:
        return not_found(ctx.t("There was no such subscription."))
    if not names:
        return text_reply(ctx.t("Unsubscribed: this chat receives nothing now."))
    tags = " ".join(hashtag(name) for name in names)
    return text_reply(ctx.t("Unsubscribed from {tags}.", tags=tags))


async def subscriptions(ctx: Context) -> Reply:
    """The chat's subscriptions."""
    subs = await ctx.services.chats.subscriptions(ctx.chat)
    if not subs:
        return text_reply(ctx.t("No subscriptions yet. Try /subscribe."), ephemeral=True)
    b = ReplyBuilder().bold(ctx.t("This chat receives:")).line()
    for sub in subs:
        b.line("• " + (hashtag(sub.tag_name or "") if sub.tag_key else ctx.t("everything")))
    return b.build(ephemeral=True)


def _count(text: str) -> int | None:
    """How many announcements a page shows, 1–LATEST_COUNT_MAX, or None when `text` is not one."""
    if text.isascii() and text.isdigit() and 1 <= int(text) <= LATEST_COUNT_MAX:
        return int(text)
    return None


async def latest(ctx: Context) -> Reply:
    """The newest announcements, paged: `/latest [page] [count per page]`."""
    words = ctx.args.split()
    try:
        page = parse_page(words[0]) if words else 1
    except PageError as error:
        return page_refusal(ctx, error)
    count = _count(words[1]) if len(words) == 2 else None
    if len(words) > 2 or (len(words) == 2 and count is None):
        return wrong_usage(
            ctx.t(
                "Usage: /latest [page] [count]: count is how many to a page, 1–{max}.",
                max=LATEST_COUNT_MAX,
            )
        )
    found = await ctx.services.announcements.latest(page, count)
    if not found.items and page > 1:
        return past_the_end(ctx, page, found.pages)
    if not found.items:
        return text_reply(ctx.t("No announcements yet."))
    rendered = ctx.services.rendered.get("latest", found, ctx.language)
    if rendered is not None:
        return rendered
    b = ReplyBuilder().bold(ctx.t("Latest announcements")).line().line()
    announcement_list(b, found, ctx.services.zone, ctx.t)
    per_page = "" if count is None else f" {count}"
    pager(b, found, lambda p: f"/latest {p}{per_page}", ctx.t)
    return ctx.services.rendered.put("latest", found, ctx.language, b.build())


async def tag(ctx: Context) -> Reply:
    """Announcements with one tag, paged: `/tag Friends of Korea 2`."""
    words = ctx.args.split()
    page = 1
    if len(words) > 1 and words[-1].isdigit():
        try:
            page = parse_page(words[-1])
        except PageError as error:
            return page_refusal(ctx, error)
        words = words[:-1]
    name = " ".join(words).strip().lstrip("#")
    if not name:
        return wrong_usage(ctx.t("Usage: /tag TAG [page], for example /tag Korea"))
    try:
        checked_tag(name, ctx.services.chats.tag_limits)
    except TagError as error:
        return tag_refusal(ctx, error, what="subscribe")
    try:
        listing = await ctx.services.announcements.by_tag(name, page)
    except UnknownTag as unknown:
        return _unknown_tag(ctx, unknown)
    rendered = ctx.services.rendered.get("tag", listing, ctx.language)
    if rendered is not None:
        return rendered
    tag_count, found = listing
    if not found.items:
        return past_the_end(ctx, page, found.pages)
    b = ReplyBuilder().bold(hashtag(tag_count.name)).text(" — ")
    b.line(ctx.t("announcements: {count}", count=tag_count.count)).line()
    announcement_list(b, found, ctx.services.zone, ctx.t)
    pager(b, found, lambda p: f"/tag {tag_count.name} {p}", ctx.t)
    return ctx.services.rendered.put("tag", listing, ctx.language, b.build())


def _unknown_tag(ctx: Context, unknown: UnknownTag) -> Reply:
    b = ReplyBuilder().text(
        ctx.t("No announcements with the tag {tag}.", tag=hashtag(unknown.name))
    )
    if unknown.suggestions:
        b.text(" " + ctx.t("Did you mean:") + " ")
        b.text(", ".join(hashtag(s) for s in unknown.suggestions))
        b.buttons(*(Button(hashtag(s), f"/tag {s}") for s in unknown.suggestions))
    else:
        b.text(" " + ctx.t("See /tags for the tags in use."))
    return b.build(failure="not_found")


async def tags(ctx: Context) -> Reply:
    """Every tag with its count, most used first, paged: `/tags [page]`; buttons open a tag."""
    try:
        page = parse_page(ctx.args)
    except PageError as error:
        return page_refusal(ctx, error)
    service = ctx.services.announcements
    offset = (page - 1) * TAGS_SHOWN
    found = await service.tags(limit=TAGS_SHOWN, offset=offset)
    # A short first page is every tag; otherwise count them for the page total.
    in_use = len(found) if page == 1 and len(found) < TAGS_SHOWN else await service.tags_in_use()
    if not in_use:
        return text_reply(ctx.t("No tags yet."))
    pages = math.ceil(in_use / TAGS_SHOWN)
    if not found:
        return past_the_end(ctx, page, pages)
    b = ReplyBuilder().bold(ctx.t("Tags")).line()
    for item in found:
        b.text(f"{hashtag(item.name)} ").italic(f"({item.count})").line()
    if pages > 1:
        b.italic(ctx.t("Page {page} of {pages}", page=page, pages=pages))
    rows = [Button(hashtag(item.name)[:40], f"/tag {item.name}") for item in found[:6]]
    b.buttons(*rows[:3]).buttons(*rows[3:6])
    return pager(b, Page((), page, pages, in_use), lambda p: f"/tags {p}", ctx.t).build()


async def search(ctx: Context) -> Reply:
    """Announcements containing every word: `/search liberation Korea`."""
    words, page = ctx.args.strip(), 1
    token_page = words.split()
    if len(token_page) == 2 and token_page[0].startswith("~"):
        saved = ctx.services.searches.get(token_page[0])
        if saved is None:
            return invalid(ctx.t("This search has expired; run /search again."))
        try:
            page = parse_page(token_page[1])
        except PageError as error:
            return page_refusal(ctx, error)
        words = saved
    if not words:
        return wrong_usage(ctx.t("Usage: /search WORDS, for example /search liberation"))
    found = await ctx.services.announcements.search(words, page)
    if not found.items and found.total:
        return past_the_end(ctx, page, found.pages)
    if not found.items:
        return text_reply(ctx.t("Nothing found for “{words}”.", words=words))
    token = _save_search(ctx, words)
    total = f"{SEARCH_TOTAL_CAP}+" if found.total >= SEARCH_TOTAL_CAP else str(found.total)
    b = ReplyBuilder().bold(ctx.t("Found {count}", count=total)).line().line()
    announcement_list(b, found, ctx.services.zone, ctx.t)
    pager(b, found, lambda p: f"/search {token} {p}", ctx.t)
    return b.build()


def search_token(words: str) -> str:
    """The token a search's page buttons carry instead of its words (`~` and 10 hex digits)."""
    return "~" + hashlib.sha256(words.encode()).hexdigest()[:10]


def _save_search(ctx: Context, words: str) -> str:
    token = search_token(words)
    searches = ctx.services.searches
    if len(searches) >= MAX_SAVED_SEARCHES:
        searches.pop(next(iter(searches)))
    searches[token] = words
    return token


async def show(ctx: Context) -> Reply:
    """One announcement in full; counts a view."""
    found_id = parse_id(ctx.args)
    if found_id is None:
        return wrong_usage(ctx.t("Usage: /show ID, for example /show 12"))
    text = str(found_id)
    try:
        item = await ctx.services.announcements.show(found_id, viewer=ctx.actor)
    except NotFound:
        return not_found(ctx.t("There is no announcement #{id}.", id=text))
    if item.status.value != "published" and not ctx.is_admin:
        return not_found(ctx.t("There is no announcement #{id}.", id=text))
    b = announcement_full(ReplyBuilder(), item, ctx.services.zone, ctx.t)
    if ctx.services.public_url and item.status.value == "published":
        url = f"{ctx.services.public_url}/announcements/{item.id}"
        b.buttons(Button(ctx.t("Read on the website"), "", url=url))
    return b.build()


async def anniversaries(ctx: Context) -> Reply:
    """The next anniversaries with days left and the ordinal."""
    upcoming = await ctx.services.anniversaries.upcoming()
    if not upcoming:
        return text_reply(ctx.t("No anniversaries are kept yet."))
    b = ReplyBuilder().bold(ctx.t("Coming anniversaries")).line()
    for item in upcoming:
        occ = item.occurrence
        b.code(occ.occurs_on.isoformat()).text(" ").bold(item.anniversary.title)
        if occ.years:
            b.text(" — " + ctx.t("{ordinal} anniversary", ordinal=ordinal(occ.years, ctx.language)))
            if is_jubilee(occ.years):
                b.text(" ★")
        if item.days_left == 0:
            b.italic(" (" + ctx.t("today") + ")")
        else:
            b.italic(" (" + ctx.t("in {days} days", days=item.days_left) + ")")
        b.line()
    return b.build()


async def lang(ctx: Context) -> Reply:
    """Change the chat's language."""
    code = ctx.args.strip().lower()
    if code not in LANGUAGES:
        names = ", ".join(f"{c} ({LANGUAGE_NAMES[c]})" for c in LANGUAGES)
        return wrong_usage(ctx.t("Usage: /lang CODE, one of: {names}", names=names))
    if not ctx.may_change_chat:
        return refused(ctx.t("Only this chat's admins can change its language."))
    await ctx.services.chats.set_language(ctx.chat, code)
    return text_reply(translate(code, "Language set to English."))
