"""The console adapter: a REPL (or piped stdin) where the local operator talks to Herald."""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import Callable
from typing import TextIO

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from bot.commands.types import Command
from bot.domain import ChatKind, ChatRef
from bot.formatting import Photo, Style, Styles
from bot.ports import Core, MessageKind, OutboundMessage, PlatformLimits, Target
from bot.render import hashtag
from bot.replies import Button, Reply
from bot.runs import nest

CONSOLE_CHAT = "console"
END_OF_POST = "."
MULTILINE_COMMANDS = ("post", "draft", "edit")

# Rich styles for the text styles; a link also shows its address after its text.
_STYLES = {
    Style.BOLD: "bold",
    Style.ITALIC: "italic",
    Style.UNDERLINE: "underline",
    Style.STRIKE: "strike",
    Style.SPOILER: "reverse",
    Style.CODE: "cyan",
    Style.PRE: "cyan",
    Style.LINK: "underline blue",
    Style.QUOTE: "dim",
}


def photo_label(photo: Photo) -> str:
    """`[photo: name, N KB]`: a terminal cannot show the picture, so it says what it is."""
    return f"[photo: {photo.file_name}, {max(1, round(len(photo.data) / 1024))} KB]"


def styled_text(text: str, runs: Styles) -> Text:
    """Text with its style runs as Rich text; user text is never read as markup."""
    out = Text()
    pos = 0
    stack: list[tuple[int, str, str | None]] = []  # (end, rich style, link address) of open runs
    for run in nest(runs, len(text)):
        while stack and stack[-1][0] <= run.start:
            pos = _close(out, text, pos, stack)
        out.append(text[pos : run.start], style=" ".join(s for _, s, _ in stack))
        pos = run.start
        url = run.url if run.style is Style.LINK else None
        stack.append((run.end, _STYLES[run.style], url))
    while stack:
        pos = _close(out, text, pos, stack)
    out.append(text[pos:])
    return out


def _close(out: Text, text: str, pos: int, stack: list[tuple[int, str, str | None]]) -> int:
    end = stack[-1][0]
    out.append(text[pos:end], style=" ".join(s for _, s, _ in stack))
    _, _, url = stack.pop()
    if url:
        out.append(f" ({url})", style="dim")
    return end


def reply_text(reply: Reply) -> Text:
    """A Reply as Rich text; user text is never read as markup."""
    return styled_text(reply.text, reply.styles)


def buttons_text(buttons: list[Button]) -> Text:
    """Numbered buttons: type the number to press one."""
    text = Text()
    for number, button in enumerate(buttons, 1):
        text.append(f"[{number}] ", style="bold magenta").append(button.label + "  ")
    return text


class ConsoleAdapter:
    """Reads commands from a terminal or a pipe; prints replies and delivered announcements."""

    def __init__(
        self,
        core: Core,
        *,
        stdin: TextIO | None = None,
        console: Console | None = None,
        user: str | None = None,
        on_eof: Callable[[], None] | None = None,
    ) -> None:
        self._core = core
        self._stdin = stdin or sys.stdin
        self._console = console or Console(highlight=False)
        self._user = user or getpass.getuser()
        self._buttons: list[Button] = []
        self._task: asyncio.Task[None] | None = None
        self._on_eof = on_eof
        self.finished = asyncio.Event()

    @property
    def name(self) -> str:
        """The platform name stored on the console's chat."""
        return "console"

    @property
    def limits(self) -> PlatformLimits:
        """A terminal has no rate limits worth pacing."""
        return PlatformLimits(
            text_length=1_000_000,
            caption_length=1_000_000,
            messages_per_second=1000.0,
            private_chat_interval=0.0,
            group_per_minute=1_000_000,
        )

    @property
    def interactive(self) -> bool:
        """True when a person types (a TTY), False for piped scripts."""
        return self._stdin.isatty()

    async def start(self) -> None:
        """Record the console chat and start reading lines."""
        await self._core.chat_joined(ChatRef("console", CONSOLE_CHAT, ChatKind.CONSOLE, "console"))
        if self.interactive:
            self._console.print(
                "[bold]Herald console[/bold] — you are the local operator. "
                "Type /help; end a multi-line /post with a line holding a single '.'; "
                "Ctrl-D quits."
            )
        self._task = asyncio.create_task(self._read_loop(), name="console-repl")

    async def start_sending(self) -> None:
        """Nothing to connect: printing needs no setup (a worker never builds a console)."""

    async def stop(self) -> None:
        """Stop reading."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _readline(self, prompt: str) -> str | None:
        if self.interactive:
            self._console.print(prompt, end="", style="bold green")
        line = await asyncio.to_thread(self._stdin.readline)
        return None if line == "" else line.rstrip("\r\n")

    async def _read_loop(self) -> None:
        try:
            while True:
                line = await self._readline("herald> ")
                if line is None:
                    break
                await self.submit_line(line)
        finally:
            self.finished.set()
            if self._on_eof is not None:
                self._on_eof()

    async def submit_line(self, line: str) -> Reply | None:
        """Handle one typed line (or a pressed button number); print and return the reply."""
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            return None
        from_button = False
        if stripped.isdigit() and self._buttons and 1 <= int(stripped) <= len(self._buttons):
            stripped, from_button = self._buttons[int(stripped) - 1].action, True
        elif not stripped.startswith("/"):
            self._console.print("Commands start with '/'. Type /help for the list.", style="yellow")
            return None
        name = stripped[1:].split(maxsplit=1)[0].split("@")[0].lower() if stripped[1:] else ""
        if name in MULTILINE_COMMANDS and "\n" not in stripped and not from_button:
            stripped = await self._read_more(stripped)
        reply = await self._core.handle(
            Command(
                platform="console",
                chat_id=CONSOLE_CHAT,
                chat_kind=ChatKind.CONSOLE,
                user_id=self._user,
                text=stripped,
                chat_title="console",
                user_name=self._user,
                is_chat_admin=True,
                from_button=from_button,
            )
        )
        if reply is not None:
            self.show(reply)
        return reply

    async def _read_more(self, first: str) -> str:
        """Multi-line post: further lines until a lone '.' (or end of input)."""
        lines = [first]
        if self.interactive:
            self._console.print("… type the text; a line with a single '.' ends it", style="dim")
        while True:
            line = await self._readline("… ")
            if line is None or line.strip() == END_OF_POST:
                break
            lines.append(line)
        return "\n".join(lines)

    def show(self, reply: Reply) -> None:
        """Print a reply with its buttons."""
        self._console.print(reply_text(reply))
        every = [button for row in reply.buttons for button in row]
        for link in (button for button in every if button.url):
            self._console.print(f"{link.label}: {link.url}")
        self._buttons = [button for button in every if not button.url]
        if self._buttons:
            self._console.print(buttons_text(self._buttons))

    async def send(self, target: Target, message: OutboundMessage, *, key: str) -> list[str]:
        """Print a delivered announcement as a panel."""
        self._print_message(message, "new")
        return [key]

    async def edit(
        self, target: Target, message_ids: list[str], message: OutboundMessage
    ) -> list[str]:
        """Print the edited announcement."""
        self._print_message(message, "edited")
        return message_ids

    async def delete(self, target: Target, message_ids: list[str]) -> None:
        """Say that a delivered announcement was withdrawn."""
        self._console.print(Text(f"[withdrawn: {', '.join(message_ids)}]", style="dim"))

    def _print_message(self, message: OutboundMessage, what: str) -> None:
        body = Text()
        if message.photo is not None:
            body.append(photo_label(message.photo) + "\n\n", style="dim")
        body.append_text(styled_text(message.body, message.body_styles))
        if message.signature:
            body.append("\n\n" + message.signature, style="italic")
        if message.tags:
            body.append("\n\n" + " ".join(hashtag(t) for t in message.tags))
        title = Text(message.title, style="bold")
        label = "anniversary" if message.kind is not MessageKind.ANNOUNCEMENT else what
        self._console.print(Panel(body, title=title, subtitle=label, expand=False))
