"""The slash commands: each turns its options into the core's command line and runs it."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from typing import Any, ClassVar

import discord
from discord import app_commands

from adapters.discord.interactions import InteractionRunner, user_language
from adapters.discord.photos import PHOTO_OPTION, open_post_form
from bot import i18n
from bot.commands.member import LATEST_COUNT_MAX
from bot.i18n import N_, translate
from bot.ports import Core
from bot.tags import tag_token

log = logging.getLogger(__name__)

AUTOCOMPLETE_DEADLINE = 2.5
CHOICE_LIMIT = 100
# Discord hides a command from guild members without these permissions (server owners can
# grant it to others under Integrations); the core's own check runs on every call regardless.
HERALD_ADMIN = discord.Permissions(manage_guild=True)
CHAT_ADMIN = discord.Permissions(manage_channels=True)
# Discord's integer options go up to 2**53; an id or page is never below 1.
NUMBER_MAX = 2**53
PAGE_MAX = 100_000
Number = app_commands.Range[int, 1, NUMBER_MAX]
Count = app_commands.Range[int, 1, LATEST_COUNT_MAX]
Page = app_commands.Range[int, 1, PAGE_MAX]

# Shown when the core has no description of its own for a command.
DESCRIPTIONS = {
    "start": "What Herald is and how to use it",
    "help": "List the commands",
    "subscribe": "Subscribe this channel (or your DMs) to everything or to tags",
    "unsubscribe": "Unsubscribe from everything or from tags",
    "subscriptions": "What this channel is subscribed to",
    "latest": "The latest announcements",
    "tag": "Announcements with a tag",
    "tags": "Every tag with its count",
    "search": "Search announcements by words",
    "show": "Show one announcement",
    "anniversaries": "The society's anniversaries",
    "lang": "Choose the language of Herald's answers here",
    "post": "Publish an announcement (admins)",
    "draft": "Save an announcement as a draft (admins)",
    "publish": "Publish a draft (admins)",
    "schedule": "Schedule a draft for later (admins)",
    "edit": "Edit an announcement (admins)",
    "delete": "Retract an announcement (admins)",
    "anniversary": "Add, list or remove anniversaries (admins)",
    "stats": "Delivery statistics (admins)",
    "admin": "Add or remove Herald admins (owners)",
    "feed": "Follow the society's website (admins)",
}


def describe(core: Core, name: str) -> str:
    """The core's English description of `name`, or ours, cut to Discord's 100 characters."""
    for info in core.commands("en"):
        if info.name == name and info.description:
            return info.description[:100]
    return DESCRIPTIONS[name]


def _joined(*parts: object) -> str:
    return " ".join(str(p).strip() for p in parts if p is not None and str(p).strip())


def tag_line(name: str, page: int | None) -> str:
    """`/tag NAME [PAGE]`; a name ending in a number gets its page, so the number stays in it."""
    words = name.split()
    if page is None and len(words) > 1 and words[-1].isdigit():
        page = 1
    return _joined("/tag", name, page)


def latest_line(count: int | None, page: int | None) -> str:
    """`/latest [PAGE] [COUNT]`: the core reads one number alone as the page."""
    if count is None:
        return _joined("/latest", page)
    return f"/latest {page or 1} {count}"


# What the core's `/anniversary add DATE [HH:MM] TITLE [#tags]` would read otherwise.
_TIME = re.compile(r"[0-9]{1,2}:[0-9]{2}")
_LEADING_TIME = re.compile(r"\d{1,2}:\d{2}(?:\s|$)")
_HASHTAG = re.compile(r"(?<![\w#&])#\w")


def anniversary_problem(language: str, date: str, title: str, time: str | None) -> str | None:
    """Why the options would be read as something else by the core's command line; or None."""
    if len(date.split()) != 1:
        return translate(
            language, "The date is one word: YYYY-MM-DD, or --MM-DD when the year is unknown."
        )
    if time is not None and not _TIME.fullmatch(time.strip()):
        return translate(language, "The time is HH:MM, for example 09:30.")
    if time is None and _LEADING_TIME.match(title.strip()):
        return translate(language, "The title cannot start with a time: put it in the time option.")
    if _HASHTAG.search(title):
        return translate(language, "The title cannot contain #tags: put them in the tags option.")
    return None


def hashtag_list(tags: str | None) -> str:
    """`Friends of Korea, DPRK` → `#Friends_of_Korea #DPRK` (how `/anniversary add` takes tags)."""
    # Unchecked here: the core checks every tag and refuses a bad one by name.
    return " ".join(tag_token(name) for name in re.split(r"[,;]", tags or "") if name.strip())


class CoreTranslator(app_commands.Translator):
    """Command and option descriptions in Russian and Korean, from the core's own catalogs."""

    LANGUAGES: ClassVar[dict[discord.Locale, str]] = {
        discord.Locale.russian: "ru",
        discord.Locale.korean: "ko",
    }

    def __init__(self, core: Core) -> None:
        self.core = core

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        """A command's description from the core, an option's from the catalogs; None: English."""
        language = self.LANGUAGES.get(locale)
        if language is None:
            return None
        where = app_commands.TranslationContextLocation
        top_level = getattr(context.data, "parent", None) is None
        if context.location in (where.command_description, where.group_description) and top_level:
            return self._core_description(language, getattr(context.data, "name", None))
        if context.location in (where.command_description, where.parameter_description):
            # Marked with N_() where the command is declared.
            text = i18n.translate(language, string.message)
            return text[:100] if text != string.message else None
        return None

    def _core_description(self, language: str, name: str | None) -> str | None:
        english = {i.name: i.description for i in self.core.commands("en")}
        for info in self.core.commands(language):
            if info.name == name and info.description and info.description != english.get(name):
                return info.description[:100]
        return None


async def command_hash(tree: app_commands.CommandTree[Any]) -> str:
    """A stable hash of the command set as it would be synced (with translations)."""
    translator = tree.translator
    payload = []
    for command in sorted(tree.get_commands(), key=lambda c: c.name):
        if translator is not None:
            payload.append(await command.get_translated_payload(tree, translator))
        else:
            payload.append(command.to_dict(tree))
    encoded = json.dumps(payload, sort_keys=True, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()


def install_commands(
    tree: app_commands.CommandTree[Any], core: Core, runner: InteractionRunner
) -> None:
    """Add every Herald slash command to `tree`."""

    async def tag_choices(current: str) -> list[app_commands.Choice[str]]:
        try:
            async with asyncio.timeout(AUTOCOMPLETE_DEADLINE):
                names = await core.tag_names(current.strip(), 25)
        except TimeoutError:
            # Expected under load: Discord shows no choices; the member types the tag.
            log.warning("tag autocomplete took longer than %s s; no choices offered",
                        AUTOCOMPLETE_DEADLINE)  # fmt: skip
            return []
        except Exception:
            log.exception("tag autocomplete failed")
            return []
        return [
            app_commands.Choice(name=n[:CHOICE_LIMIT], value=n[:CHOICE_LIMIT]) for n in names[:25]
        ]

    async def tag_complete(
        _: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await tag_choices(current)

    async def tag_list_complete(
        _: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        # Complete the last item of a comma-separated list, keeping the ones before it.
        head, _sep, last = current.rpartition(",")
        prefix = f"{head.strip()}, " if head.strip() else ""
        choices = await tag_choices(last)
        full = [(prefix + c.value) for c in choices]
        return [app_commands.Choice(name=v, value=v) for v in full if len(v) <= CHOICE_LIMIT]

    @tree.command(name="start", description=describe(core, "start"))
    async def start(interaction: discord.Interaction[Any]) -> None:
        await runner.run(interaction, "/start")

    @tree.command(name="help", description=describe(core, "help"))
    async def help_(interaction: discord.Interaction[Any]) -> None:
        await runner.run(interaction, "/help")

    @tree.command(name="subscribe", description=describe(core, "subscribe"))
    @app_commands.default_permissions(CHAT_ADMIN)
    @app_commands.describe(tags=N_("Comma-separated tags; leave empty for everything"))
    @app_commands.autocomplete(tags=tag_list_complete)
    async def subscribe(interaction: discord.Interaction[Any], tags: str | None = None) -> None:
        await runner.run(interaction, _joined("/subscribe", tags))

    @tree.command(name="unsubscribe", description=describe(core, "unsubscribe"))
    @app_commands.default_permissions(CHAT_ADMIN)
    @app_commands.describe(tags=N_("Comma-separated tags; leave empty for everything"))
    @app_commands.autocomplete(tags=tag_list_complete)
    async def unsubscribe(interaction: discord.Interaction[Any], tags: str | None = None) -> None:
        await runner.run(interaction, _joined("/unsubscribe", tags))

    @tree.command(name="subscriptions", description=describe(core, "subscriptions"))
    async def subscriptions(interaction: discord.Interaction[Any]) -> None:
        await runner.run(interaction, "/subscriptions")

    @tree.command(name="latest", description=describe(core, "latest"))
    @app_commands.describe(
        count=N_("How many announcements to a page (1–10)"), page=N_("Page number")
    )
    async def latest(
        interaction: discord.Interaction[Any],
        count: Count | None = None,
        page: Page | None = None,
    ) -> None:
        await runner.run(interaction, latest_line(count, page))

    @tree.command(name="tag", description=describe(core, "tag"))
    @app_commands.describe(name=N_("The tag"), page=N_("Page number"))
    @app_commands.autocomplete(name=tag_complete)
    async def tag(
        interaction: discord.Interaction[Any], name: str, page: Page | None = None
    ) -> None:
        await runner.run(interaction, tag_line(name, page))

    @tree.command(name="tags", description=describe(core, "tags"))
    @app_commands.describe(page=N_("Page number"))
    async def tags(interaction: discord.Interaction[Any], page: Page | None = None) -> None:
        await runner.run(interaction, _joined("/tags", page))

    @tree.command(name="search", description=describe(core, "search"))
    @app_commands.describe(words=N_("What to look for"))
    async def search(interaction: discord.Interaction[Any], words: str) -> None:
        await runner.run(interaction, _joined("/search", words))

    @tree.command(name="show", description=describe(core, "show"))
    @app_commands.describe(id=N_("The announcement's number"))
    async def show(interaction: discord.Interaction[Any], id: Number) -> None:
        await runner.run(interaction, f"/show {id}")

    @tree.command(name="anniversaries", description=describe(core, "anniversaries"))
    async def anniversaries(interaction: discord.Interaction[Any]) -> None:
        await runner.run(interaction, "/anniversaries")

    @tree.command(name="lang", description=describe(core, "lang"))
    @app_commands.default_permissions(CHAT_ADMIN)
    @app_commands.describe(language=N_("Language of Herald's answers in this chat"))
    @app_commands.choices(
        language=[
            app_commands.Choice(name="English", value="en"),
            app_commands.Choice(name="Русский", value="ru"),
            app_commands.Choice(name="한국어", value="ko"),
        ]
    )
    async def lang(interaction: discord.Interaction[Any], language: str) -> None:
        await runner.run(interaction, f"/lang {language}")

    @tree.command(name="post", description=describe(core, "post"))
    @app_commands.default_permissions(HERALD_ADMIN)
    @app_commands.describe(photo=PHOTO_OPTION)
    async def post(
        interaction: discord.Interaction[Any], photo: discord.Attachment | None = None
    ) -> None:
        await open_post_form(runner, interaction, "post", photo)

    @tree.command(name="draft", description=describe(core, "draft"))
    @app_commands.default_permissions(HERALD_ADMIN)
    @app_commands.describe(photo=PHOTO_OPTION)
    async def draft(
        interaction: discord.Interaction[Any], photo: discord.Attachment | None = None
    ) -> None:
        await open_post_form(runner, interaction, "draft", photo)

    @tree.command(name="edit", description=describe(core, "edit"))
    @app_commands.default_permissions(HERALD_ADMIN)
    @app_commands.describe(id=N_("The announcement's number"))
    async def edit(interaction: discord.Interaction[Any], id: Number) -> None:
        await open_post_form(runner, interaction, "edit", None, announcement_id=id)

    @tree.command(name="publish", description=describe(core, "publish"))
    @app_commands.default_permissions(HERALD_ADMIN)
    @app_commands.describe(id=N_("The draft's number"))
    async def publish(interaction: discord.Interaction[Any], id: Number) -> None:
        await runner.run(interaction, f"/publish {id}")

    @tree.command(name="schedule", description=describe(core, "schedule"))
    @app_commands.default_permissions(HERALD_ADMIN)
    @app_commands.describe(
        id=N_("The draft's number"), date="YYYY-MM-DD", time=N_("HH:MM (society's time zone)")
    )
    async def schedule(
        interaction: discord.Interaction[Any],
        id: Number,
        date: str,
        time: str,
    ) -> None:
        await runner.run(interaction, _joined("/schedule", id, date, time))

    @tree.command(name="delete", description=describe(core, "delete"))
    @app_commands.default_permissions(HERALD_ADMIN)
    @app_commands.describe(id=N_("The announcement's number"))
    async def delete(interaction: discord.Interaction[Any], id: Number) -> None:
        await runner.run(interaction, f"/delete {id}")

    @tree.command(name="stats", description=describe(core, "stats"))
    @app_commands.default_permissions(HERALD_ADMIN)
    @app_commands.describe(id=N_("An announcement's number (optional)"))
    async def stats(interaction: discord.Interaction[Any], id: Number | None = None) -> None:
        await runner.run(interaction, _joined("/stats", id))

    anniversary = app_commands.Group(
        name="anniversary",
        description=describe(core, "anniversary"),
        default_permissions=HERALD_ADMIN,
    )

    @anniversary.command(name="add", description=N_("Add an anniversary"))
    @app_commands.describe(
        date=N_("YYYY-MM-DD, or --MM-DD when the year is unknown"),
        title=N_("What happened"),
        tags=N_("Comma-separated tags (optional)"),
        time=N_("HH:MM to announce it (society's time zone; optional)"),
    )
    @app_commands.autocomplete(tags=tag_list_complete)
    async def anniversary_add(
        interaction: discord.Interaction[Any],
        date: str,
        title: str,
        tags: str | None = None,
        time: str | None = None,
    ) -> None:
        problem = anniversary_problem(user_language(interaction), date, title, time)
        if problem is not None:
            await interaction.response.send_message(problem, ephemeral=True)
            return
        line = _joined("/anniversary add", date, time, title, hashtag_list(tags))
        await runner.run(interaction, line)

    @anniversary.command(name="list", description=N_("List the anniversaries"))
    async def anniversary_list(interaction: discord.Interaction[Any]) -> None:
        await runner.run(interaction, "/anniversary list")

    @anniversary.command(name="remove", description=N_("Remove an anniversary"))
    @app_commands.describe(id=N_("The anniversary's number"))
    async def anniversary_remove(interaction: discord.Interaction[Any], id: Number) -> None:
        await runner.run(interaction, f"/anniversary remove {id}")

    tree.add_command(anniversary)

    admin = app_commands.Group(
        name="admin", description=describe(core, "admin"), default_permissions=HERALD_ADMIN
    )

    @admin.command(name="add", description=N_("Make someone a Herald admin"))
    @app_commands.describe(who=N_("platform:user_id, e.g. discord:1234 or telegram:5678"))
    async def admin_add(interaction: discord.Interaction[Any], who: str) -> None:
        await runner.run(interaction, f"/admin add {who.strip()}")

    @admin.command(name="remove", description=N_("Remove a Herald admin"))
    @app_commands.describe(who="platform:user_id")
    async def admin_remove(interaction: discord.Interaction[Any], who: str) -> None:
        await runner.run(interaction, f"/admin remove {who.strip()}")

    tree.add_command(admin)

    feed = app_commands.Group(
        name="feed", description=describe(core, "feed"), default_permissions=HERALD_ADMIN
    )

    @feed.command(name="add", description=N_("Follow a feed or news page of the website"))
    @app_commands.describe(
        url=N_("The feed's or news page's address"),
        tags=N_("Comma-separated tags (optional)"),
        draft=N_("Keep new entries as drafts instead of publishing them"),
        every=N_("How often to look: 15m, 2h, 1d"),
        backfill=N_("Announce the newest entries now (how many)"),
    )
    @app_commands.autocomplete(tags=tag_list_complete)
    async def feed_add(
        interaction: discord.Interaction[Any],
        url: str,
        tags: str | None = None,
        draft: bool = False,
        every: str | None = None,
        backfill: app_commands.Range[int, 0, 50] = 0,
    ) -> None:
        line = _joined(
            "/feed add", url.strip(), "--draft" if draft else None,
            f"--every {every.strip()}" if every and every.strip() else None,
            f"--backfill {backfill}" if backfill else None,
            f"--tags {tags.strip()}" if tags and tags.strip() else None,
        )  # fmt: skip
        await runner.run(interaction, line)

    @feed.command(name="list", description=N_("The feeds, with their last and next polls"))
    async def feed_list(interaction: discord.Interaction[Any]) -> None:
        await runner.run(interaction, "/feed list")

    @feed.command(name="pause", description=N_("Stop polling a feed"))
    @app_commands.describe(id=N_("The feed's number"))
    async def feed_pause(interaction: discord.Interaction[Any], id: Number) -> None:
        await runner.run(interaction, f"/feed pause {id}")

    @feed.command(name="resume", description=N_("Poll a paused feed again"))
    @app_commands.describe(id=N_("The feed's number"))
    async def feed_resume(interaction: discord.Interaction[Any], id: Number) -> None:
        await runner.run(interaction, f"/feed resume {id}")

    @feed.command(name="remove", description=N_("Stop following a feed"))
    @app_commands.describe(id=N_("The feed's number"))
    async def feed_remove(interaction: discord.Interaction[Any], id: Number) -> None:
        await runner.run(interaction, f"/feed remove {id}")

    @feed.command(name="poll", description=N_("Poll now: one feed, or every active one"))
    @app_commands.describe(id=N_("The feed's number (optional)"))
    async def feed_poll(interaction: discord.Interaction[Any], id: Number | None = None) -> None:
        await runner.run(interaction, _joined("/feed poll", id))

    tree.add_command(feed)
