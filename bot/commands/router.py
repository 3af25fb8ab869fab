"""The core adapters talk to: routes commands to handlers and follows chats' lives."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from bot.commands import admin, feeds, member
from bot.commands.context import Context, Handler, Services
from bot.commands.parsing import MAX_COMMAND_LENGTH, CommandLine, parse_command_line
from bot.commands.throttle import CommandThrottle, Verdict
from bot.commands.types import Command
from bot.domain import Chat, ChatRef
from bot.i18n import N_, translate
from bot.metrics import Metrics, NoMetrics
from bot.ports import CommandInfo
from bot.replies import Reply, invalid, refused, text_reply, wrong_usage

log = logging.getLogger(__name__)

# The one notice per window for a user whose commands the limiter drops.
SLOW_DOWN = N_(
    "You are sending commands faster than I can answer, so I skipped some. "
    "Please wait a few seconds and try again."
)


@dataclass(frozen=True, slots=True)
class Route:
    """A command's handler and who may run it."""

    handler: Handler
    description: str
    admin_only: bool = False
    owner_only: bool = False
    # Commands that change the chat's settings record it; reads leave no row behind.
    records_chat: bool = False


ROUTES: dict[str, Route] = {
    "start": Route(member.start, "Start here", records_chat=True),
    "help": Route(member.help_, "Every command"),
    "subscribe": Route(
        member.subscribe, "Subscribe this chat to everything, or to tags", records_chat=True
    ),
    "unsubscribe": Route(
        member.unsubscribe, "Unsubscribe from tags, or from everything", records_chat=True
    ),
    "subscriptions": Route(member.subscriptions, "Show this chat's subscriptions"),
    "latest": Route(member.latest, "The newest announcements"),
    "tag": Route(member.tag, "Announcements with a tag"),
    "tags": Route(member.tags, "Every tag, with counts"),
    "search": Route(member.search, "Find announcements by words"),
    "show": Route(member.show, "Show one announcement"),
    "anniversaries": Route(member.anniversaries, "The next anniversaries"),
    "lang": Route(member.lang, "Change the language", records_chat=True),
    "post": Route(admin.post, "Publish an announcement", admin_only=True),
    "draft": Route(admin.draft, "Save an announcement without publishing", admin_only=True),
    "publish": Route(admin.publish, "Publish a draft now", admin_only=True),
    "schedule": Route(admin.schedule, "Publish a draft later", admin_only=True),
    "edit": Route(admin.edit, "Replace an announcement's text everywhere", admin_only=True),
    "delete": Route(admin.delete, "Retract an announcement everywhere", admin_only=True),
    "anniversary": Route(admin.anniversary, "Manage anniversaries", admin_only=True),
    "feed": Route(feeds.feed, "Follow the society's website", admin_only=True),
    "stats": Route(admin.stats, "Numbers and deliveries", admin_only=True),
    "target": Route(admin.target, "Make a channel a target", admin_only=True),
    "admin": Route(admin.admin, "Manage admins", admin_only=True, owner_only=True),
}


class CommandRouter:
    """Implements the `Core` port: every adapter hands its commands here."""

    def __init__(
        self,
        services: Services,
        throttle: CommandThrottle | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.services = services
        self.throttle = throttle
        self._metrics: Metrics = metrics or NoMetrics()

    async def handle(self, command: Command) -> Reply | None:
        """Answer one command; never raises (a failure becomes a polite reply and a log line)."""
        parsed = parse_command_line(command.text)
        if parsed is None:
            return None
        chats = self.services.chats
        language = chats.default_language
        started = time.perf_counter()
        route = ROUTES.get(parsed.name)
        outcome = "ok"
        try:
            verdict = await self._counted(command)
            if verdict is Verdict.DROP:
                outcome = "throttled"
                return None
            if verdict is Verdict.NOTICE:
                outcome = "throttled"
                chat = await chats.lookup(command.chat)
                language = chats.language_of(chat, command.language_hint)
                return text_reply(translate(language, SLOW_DOWN), ephemeral=True)
            chat = await self._chat(command, route)
            language = chats.language_of(chat, command.language_hint)
            admitted = await self._admit(command, parsed, route, chat, language)
            if isinstance(admitted, Reply):
                outcome = "unknown" if route is None else "refused"
                return admitted
            handler, context = admitted
            return await handler(context)
        except Exception:
            outcome = "error"
            log.exception("command /%s from %s failed", parsed.name, command.platform)
            return _failed(language)
        finally:
            # Only known names become labels: typed text must not grow the series.
            name = parsed.name if route is not None else "unknown"
            self._metrics.command(name, outcome, time.perf_counter() - started)

    async def refusal(self, command: Command) -> Reply | None:
        """The answer refusing `command` here (as handle() would give it), or None; runs nothing.

        For a platform whose form must open before the command runs (Discord's /post with a
        photo): non-admins are refused before the form opens and before the photo is read.
        """
        parsed = parse_command_line(command.text)
        if parsed is None:
            return None
        chats = self.services.chats
        language = chats.default_language
        try:
            route = ROUTES.get(parsed.name)
            chat = await self._chat(command, route)
            language = chats.language_of(chat, command.language_hint)
            admitted = await self._admit(command, parsed, route, chat, language)
        except Exception:
            log.exception("checking /%s from %s failed", parsed.name, command.platform)
            return _failed(language)
        return admitted if isinstance(admitted, Reply) else None

    async def _counted(self, command: Command) -> Verdict:
        """The command limiter's verdict (refusal() only looks: handle() comes after it)."""
        throttle = self.throttle
        if throttle is None or not throttle.applies_to(command.platform):
            return Verdict.RUN
        access = self.services.access
        is_admin = access.is_owner(command.actor) or await access.is_admin(command.actor)
        verdict = throttle.admit(command.actor, admin=is_admin, at=command.received_at)
        if verdict is Verdict.NOTICE:
            log.info("%s sends commands too fast: dropping the excess for a while", command.actor)
        return verdict

    async def _chat(self, command: Command, route: Route | None) -> Chat:
        """The command's chat; commands that change settings (and admin ones) record it."""
        chats = self.services.chats
        if route is not None and (route.records_chat or route.admin_only):
            return await chats.ensure(command.chat, command.language_hint)
        return await chats.lookup(command.chat)

    async def _admit(
        self,
        command: Command,
        parsed: CommandLine,
        route: Route | None,
        chat: Chat,
        language: str,
    ) -> tuple[Handler, Context] | Reply:
        """The command's handler and its context, or the answer that refuses the command."""
        name = parsed.name
        if len(command.text) > MAX_COMMAND_LENGTH and name not in ("post", "draft", "edit"):
            return invalid(translate(language, "That command is too long."))
        if "\x00" in command.text:
            # PostgreSQL text cannot hold a NUL: refused here, on every store, for every command.
            return invalid(
                translate(language, "That command contains a NUL character; remove it and resend.")
            )
        if route is None:
            return wrong_usage(
                translate(
                    language,
                    "Unknown command /{name}. Send /help for the list.",
                    name=name[:32],
                )
            )
        access = self.services.access
        is_owner = access.is_owner(command.actor)
        is_admin = is_owner or await access.is_admin(command.actor)
        if route.owner_only and not is_owner:
            return refused(translate(language, "Only owners can do that."), ephemeral=True)
        if route.admin_only and not is_admin:
            log.info("refused /%s to non-admin %s", name, command.actor)
            return refused(
                translate(language, "Only Herald admins can use /{name}.", name=name),
                ephemeral=True,
            )
        return route.handler, Context(
            command=command,
            name=name,
            args=parsed.args,
            chat=chat,
            language=language,
            is_admin=is_admin,
            is_owner=is_owner,
            services=self.services,
        )

    async def chat_joined(self, chat: ChatRef) -> None:
        """The bot was added to a chat."""
        await self.services.chats.joined(chat)

    async def chat_left(self, chat: ChatRef, reason: str) -> None:
        """The bot was removed or blocked."""
        await self.services.chats.left(chat, reason)

    async def chat_migrated(self, chat: ChatRef, new_external_id: str) -> None:
        """The chat moved to a new id."""
        await self.services.chats.migrated(chat, new_external_id)

    def commands(self, language: str) -> list[CommandInfo]:
        """Every command with its description in `language`."""
        return [
            CommandInfo(name, translate(language, route.description), route.admin_only)
            for name, route in ROUTES.items()
        ]

    async def tag_names(self, prefix: str, limit: int = 25) -> list[str]:
        """Tag names for autocomplete."""
        return await self.services.announcements.tag_names(prefix, limit)


def _failed(language: str) -> Reply:
    return text_reply(
        translate(language, "Something went wrong; the error was logged. Please try again later."),
        failure="failed",
    )
