"""The chat's commands from a shell: each subcommand is one call into the core, as chat makes it.

The reply is printed literally (user text is never read as Rich markup); a reply that says no
goes to stderr and sets the exit code (bot.cli_errors); where chat would show buttons, the
shell is shown the command to type.
"""

from __future__ import annotations

import getpass
import re
import shlex
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from bot.cli_errors import exit_for, fail, logged_errors, run, say, settings, usage
from bot.cli_words import for_shell
from bot.formatting import Photo
from bot.replies import Button, Reply

out = Console(highlight=False)

anniversary_app = typer.Typer(help="The dates the society keeps.", no_args_is_help=True)


def actor() -> str:
    """The shell user as Herald names actors (`cli:NAME`), the form HERALD_ADMINS takes."""
    return f"cli:{getpass.getuser()}"


def shell_command(action: str) -> str | None:
    """The `herald` command that does what a chat button's action does (None if there is none)."""
    name, _, rest = action.removeprefix("/").partition(" ")
    words = rest.split()
    if name == "latest" and len(words) == 1:
        return f"herald list --page {words[0]}"
    if name == "tags" and len(words) == 1:
        return f"herald tags --page {words[0]}"
    if name == "tag" and words:
        if len(words) > 1 and words[-1].isdigit():
            return f"herald tag {shlex.quote(' '.join(words[:-1]))} --page {words[-1]}"
        return f"herald tag {shlex.quote(' '.join(words))}"
    if name in ("show", "publish", "delete") and len(words) == 1:
        return f"herald {name} {words[0]}"
    if name == "anniversary" and words[:1] == ["suggest"] and len(words) == 3:
        return f"herald anniversary suggest {words[1]} {words[2]}"
    return None


def print_reply(reply: Reply | None, *, search_words: str | None = None) -> None:
    """The reply on stdout, or on stderr as one line when it says no (then exit 1 or 2)."""
    if reply is None:
        return
    # The core names chat commands ("See /tags"); the shell is told the `herald` one.
    spans = tuple(replace(span, text=for_shell(span.text)) for span in reply.spans)
    reply = replace(reply, spans=spans)
    if reply.failure is not None:
        if reply.failure != "failed" or not logged_errors():
            say(reply.plain())  # else the logged error was the one line
        exit_for(reply)
    from adapters.console.adapter import reply_text

    out.print(reply_text(reply), soft_wrap=True)
    for row in reply.buttons:
        for button in row:
            hint = _button_hint(button, search_words)
            if hint:
                out.print(Text(hint), soft_wrap=True)


def _button_hint(button: Button, search_words: str | None) -> str | None:
    if button.url is not None:
        return f"{button.label}: {button.url}"
    command = shell_command(button.action)
    if command is None and search_words is not None:
        # `/search ~token N`: the token stands for these words in chat.
        parts = button.action.split()
        if len(parts) == 3 and parts[0] == "/search" and parts[2].isdigit():
            command = f"herald search {shlex.join(search_words.split())} --page {parts[2]}"
    if command is None:
        return None
    return f"{button.label}: {command}"


async def ask(
    text: str, photo: Photo | None = None, *, seed: dict[str, str] | None = None
) -> Reply | None:
    """Hand one chat command to the core as the shell user; the core's reply."""
    from bot.app import open_herald
    from bot.commands.types import Command
    from bot.domain import ChatKind

    herald = await open_herald(settings())
    try:
        if seed:
            herald.services.searches.update(seed)
        return await herald.router.handle(
            Command(
                platform="cli",
                chat_id="cli",
                chat_kind=ChatKind.CONSOLE,
                user_id=getpass.getuser(),
                text=text,
                is_chat_admin=True,
                photo=photo,
            )
        )
    finally:
        await herald.close()


def chat(text: str, photo: Photo | None = None) -> None:
    """Run one chat command and print its reply (exit 1 or 2 when it says no)."""
    print_reply(run(lambda: ask(text, photo)))


def read_post(file: Path) -> str:
    """A post file's text; exit 1 when it cannot be read or is larger than a post can be."""
    from bot.commands.parsing import MAX_POST_LENGTH

    limit = 4 * MAX_POST_LENGTH  # bytes: UTF-8 takes at most four per character
    try:
        with file.open("rb") as stream:
            data = stream.read(limit + 1)  # never more: /dev/zero or a 10 GB file ends here
        if len(data) > limit:
            fail(f"{file} is larger than a post can be ({MAX_POST_LENGTH:,} characters)")
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        fail(f"cannot read {file}: {reason}")


def read_photo(path: Path) -> Photo:
    """The image at `path`, checked as the bot checks photos; exit 2 when it cannot be used."""
    from bot.photos import MAX_PHOTO_BYTES, PhotoError, checked_photo

    problems = {
        "empty": "is empty",
        "too_large": f"is larger than {MAX_PHOTO_BYTES // (1024 * 1024)} MB",
        "not_image": "is not a JPEG, PNG, WebP or GIF image",
        "unreadable": "has a damaged header, or one that does not match its type",
        "dimensions": "has a shape Telegram refuses (width + height at most 10,000, "
        "long side at most 20 times the short one)",
    }
    try:
        if path.stat().st_size > MAX_PHOTO_BYTES:
            raise PhotoError("too_large")  # not read into memory at all
        with path.open("rb") as stream:
            data = stream.read(MAX_PHOTO_BYTES + 1)  # a device or a pipe has no size to check
        if len(data) > MAX_PHOTO_BYTES:
            raise PhotoError("too_large")
        return checked_photo(Photo(data, file_name=path.name))
    except OSError as exc:
        usage(f"cannot read the photo {path}: {exc.strerror or exc}")
    except PhotoError as exc:
        size = f" (it is {exc.width}×{exc.height})" if exc.width else ""
        usage(f"the photo {path} {problems[exc.reason]}{size}")


def post(
    file: Annotated[Path, typer.Option("--file", "-f", help="Text file: title line, then body")],
    tags: Annotated[str, typer.Option(help="Comma-separated tags")] = "",
    draft: Annotated[bool, typer.Option(help="Save as a draft, do not publish")] = False,
    photo: Annotated[
        Path | None, typer.Option(help="A JPEG, PNG, WebP or GIF image (at most 10 MB) to post")
    ] = None,
) -> None:
    """Post an announcement from a file (first line the title), with an optional photo."""
    from bot.commands.parsing import with_tags

    text = with_tags(read_post(file), tags)
    picture = read_photo(photo) if photo is not None else None
    chat(("/draft " if draft else "/post ") + text, picture)


def publish(announcement_id: Annotated[int, typer.Argument(help="A draft's id")]) -> None:
    """Publish a draft (or a scheduled announcement) now."""
    chat(f"/publish {announcement_id}")


def schedule(
    announcement_id: Annotated[int, typer.Argument(help="A draft's id")],
    day: Annotated[str, typer.Argument(metavar="YYYY-MM-DD", help="The day, society time")],
    at: Annotated[str, typer.Argument(metavar="HH:MM", help="The time, society time")],
) -> None:
    """Publish a draft later, at a day and time in HERALD_TIMEZONE."""
    chat(f"/schedule {announcement_id} {day} {at}")


def edit(
    announcement_id: Annotated[int, typer.Argument(help="The announcement to change")],
    file: Annotated[Path, typer.Option("--file", "-f", help="Text file: title line, then body")],
    tags: Annotated[str, typer.Option(help="Comma-separated tags added to the file's")] = "",
) -> None:
    """Replace an announcement's text everywhere it was sent (from a file, as `post` reads it)."""
    from bot.commands.parsing import with_tags

    chat(f"/edit {announcement_id}\n" + with_tags(read_post(file), tags))


def delete(
    announcement_id: Annotated[int, typer.Argument(help="The announcement to retract")],
) -> None:
    """Retract an announcement: every sent copy is deleted."""
    chat(f"/delete {announcement_id}")


def list_command(
    page: Annotated[int, typer.Option(min=1, help="Which page, from 1")] = 1,
) -> None:
    """The newest announcements."""
    chat(f"/latest {page}")


def show(announcement_id: int) -> None:
    """One announcement in full."""
    chat(f"/show {announcement_id}")


def tag(
    name: Annotated[str, typer.Argument(help="The tag, as shown (e.g. 'Friends of Korea')")],
    page: Annotated[int, typer.Option(min=1, help="Which page, from 1")] = 1,
) -> None:
    """Announcements with a tag."""
    if not name.strip():
        usage("the tag is empty: name one (see herald tags)")
    chat(f"/tag {name} {page}")


def tags_command(
    page: Annotated[int, typer.Option(min=1, help="Which page, from 1")] = 1,
) -> None:
    """Every tag in use, with how many announcements carry it."""
    chat(f"/tags {page}")


def search(
    words: Annotated[list[str], typer.Argument(help="Every word must appear")],
    page: Annotated[int, typer.Option(min=1, help="Which page, from 1")] = 1,
) -> None:
    """Announcements containing every word."""
    from bot.commands.member import search_token

    text = " ".join(words)
    if page == 1:
        print_reply(run(lambda: ask("/search " + text)), search_words=text)
        return
    # Chat pages a search through a token standing for its words; the shell names the words.
    token = search_token(text)
    reply = run(lambda: ask(f"/search {token} {page}", seed={token: text}))
    print_reply(reply, search_words=text)


def stats(announcement_id: Annotated[int | None, typer.Argument()] = None) -> None:
    """Numbers; or one announcement's deliveries."""
    chat(f"/stats {announcement_id or ''}".strip())


# `--12-25` (a date without a year, as ISO 8601 writes it) is an argument, not an option.
_DATE_ARGUMENTS = {"ignore_unknown_options": True}
_SPEC_HELP = "YYYY-MM-DD [HH:MM] TITLE [#tags]; MM-DD or --MM-DD when the year is unknown"


def anniversary_spec(words: list[str]) -> str:
    """The words of an anniversary, a date without a year written as the core reads it."""
    if words and re.fullmatch(r"(?:--)?\d{1,2}-\d{1,2}", words[0]):
        month, day = words[0].removeprefix("--").split("-")
        words = [f"--{int(month):02d}-{int(day):02d}", *words[1:]]
    return " ".join(words)


@anniversary_app.command("add", context_settings=_DATE_ARGUMENTS)
def anniversary_add(
    spec: Annotated[list[str], typer.Argument(help=_SPEC_HELP)],
) -> None:
    """Keep a date: `herald anniversary add 1945-08-15 Liberation Day` (or 12-25 Christmas)."""
    chat("/anniversary add " + anniversary_spec(spec))


@anniversary_app.command("edit", context_settings=_DATE_ARGUMENTS)
def anniversary_edit(
    anniversary_id: int,
    spec: Annotated[list[str], typer.Argument(help=_SPEC_HELP)],
) -> None:
    """Change a kept date."""
    chat(f"/anniversary edit {anniversary_id} " + anniversary_spec(spec))


@anniversary_app.command("suggest")
def anniversary_suggest(
    announcement_id: Annotated[int, typer.Argument(help="The announcement mentioning the date")],
    index: Annotated[int, typer.Argument(help="Which date it mentions, from 0")],
) -> None:
    """Keep a date an announcement mentions (what `post` offers to keep)."""
    chat(f"/anniversary suggest {announcement_id} {index}")


@anniversary_app.command("list")
def anniversary_list() -> None:
    """Every kept date."""
    chat("/anniversary list")


@anniversary_app.command("upcoming")
def anniversary_upcoming() -> None:
    """The next anniversaries with days left."""
    chat("/anniversaries")


@anniversary_app.command("remove")
def anniversary_remove(anniversary_id: int) -> None:
    """Stop keeping a date."""
    chat(f"/anniversary remove {anniversary_id}")


def register(app: typer.Typer) -> None:
    """Mount the chat's commands on the `herald` app."""
    app.command()(post)
    app.command()(publish)
    app.command()(schedule)
    app.command()(edit)
    app.command()(delete)
    app.command("list")(list_command)
    app.command()(show)
    app.command()(tag)
    app.command("tags")(tags_command)
    app.command()(search)
    app.command()(stats)
    app.add_typer(anniversary_app, name="anniversary")
