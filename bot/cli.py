"""The `herald` command line: run the bot, or act as an admin from a shell."""

from __future__ import annotations

import asyncio
import getpass
import logging
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import track
from rich.table import Table

from bot.formatting import Photo
from bot.logs import configure_logging
from bot.settings import Settings

T = TypeVar("T")
app = typer.Typer(
    help="Herald publishes a society's announcements to Telegram and Discord.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
anniversary_app = typer.Typer(help="The dates the society keeps.", no_args_is_help=True)
discord_app = typer.Typer(help="Discord maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(anniversary_app, name="anniversary")
app.add_typer(discord_app, name="discord")
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"HERALD_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()
        )
        err.print(f"herald: bad configuration: {problems}", markup=False, soft_wrap=True)
        raise typer.Exit(2) from None


def _fail(message: str) -> typer.Exit:
    err.print(f"herald: {message}", markup=False, soft_wrap=True)
    return typer.Exit(1)


def _guard(work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run async work; expected failures become one clear line and a non-zero exit."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    from bot.app import StartupError
    from storage.engine import safe_url
    from storage.migrate import SchemaBehind

    try:
        return asyncio.run(work())
    except SchemaBehind as exc:
        raise _fail(str(exc)) from None
    except StartupError as exc:
        err.print(f"herald: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(exc.code) from None
    except (OperationalError, DBAPIError, OSError) as exc:
        url = safe_url(_settings().database_url)
        reason = " ".join(str(getattr(exc, "orig", exc)).split())[:300]
        raise _fail(f"cannot reach the database {url}: {reason}") from None


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


async def _command(text: str, photo: Photo | None = None) -> None:
    """Run one chat command as the shell user (with a photo for /post), printing the reply."""
    from adapters.console.adapter import buttons_text, reply_text
    from bot.app import open_herald
    from bot.commands.types import Command
    from bot.domain import ChatKind

    herald = await open_herald(_settings())
    try:
        reply = await herald.router.handle(
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
        if reply is not None:
            out.print(reply_text(reply))
            buttons = [b for row in reply.buttons for b in row]
            if buttons:
                out.print(buttons_text(buttons))
                out.print("(in a shell, run the command a button shows, e.g. with another page)")
    finally:
        await herald.close()


@app.command()
def run(
    role: Annotated[
        str, typer.Option(help="all: adapters, scheduler and delivery; worker: delivery only")
    ] = "all",
    console: Annotated[bool, typer.Option(help="Also run the console adapter")] = False,
) -> None:
    """Run Herald: every configured platform; with none configured, the console."""
    settings = _settings()
    configure_logging(settings)
    if role not in ("all", "worker"):
        raise _fail("--role must be all or worker")
    from bot.app import run as run_app

    chosen: Literal["all", "worker"] = "all" if role == "all" else "worker"
    raise typer.Exit(_guard(lambda: run_app(settings, role=chosen, console=console)))


@app.command("console")
def console_command() -> None:
    """Run the console adapter (and any configured platform)."""
    settings = _settings()
    configure_logging(settings)
    from bot.app import run as run_app

    raise typer.Exit(_guard(lambda: run_app(settings, console=True)))


@app.command()
def post(
    file: Annotated[Path, typer.Option("--file", "-f", help="Text file: title line, then body")],
    tags: Annotated[str, typer.Option(help="Comma-separated tags")] = "",
    draft: Annotated[bool, typer.Option(help="Save as a draft, do not publish")] = False,
    photo: Annotated[
        Path | None, typer.Option(help="A JPEG, PNG, WebP or GIF image (at most 10 MB) to post")
    ] = None,
) -> None:
    """Post an announcement from a file (first line the title), with an optional photo."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"cannot read {file}: {exc}") from None
    picture = _photo(photo) if photo is not None else None
    if tags.strip():
        text = text.rstrip("\n") + "\nTags: " + tags
    _guard(lambda: _command(("/draft " if draft else "/post ") + text, picture))


def _photo(path: Path) -> Photo:
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
        return checked_photo(Photo(path.read_bytes(), file_name=path.name))
    except OSError as exc:
        err.print(
            f"herald: cannot read the photo {path}: {exc.strerror or exc}",
            markup=False,
            soft_wrap=True,
        )
    except PhotoError as exc:
        size = f" (it is {exc.width}×{exc.height})" if exc.width else ""
        err.print(
            f"herald: the photo {path} {problems[exc.reason]}{size}", markup=False, soft_wrap=True
        )
    raise typer.Exit(2)


@app.command("list")
def list_command(page: int = 1) -> None:
    """The newest announcements."""
    _guard(lambda: _command(f"/latest {page}"))


@app.command()
def show(announcement_id: int) -> None:
    """One announcement in full."""
    _guard(lambda: _command(f"/show {announcement_id}"))


@app.command()
def tag(name: str, page: int = 1) -> None:
    """Announcements with a tag."""
    _guard(lambda: _command(f"/tag {name} {page}"))


@app.command()
def search(words: list[str]) -> None:
    """Announcements containing every word."""
    _guard(lambda: _command("/search " + " ".join(words)))


@app.command()
def stats(announcement_id: Annotated[int | None, typer.Argument()] = None) -> None:
    """Numbers; or one announcement's deliveries."""
    _guard(lambda: _command(f"/stats {announcement_id or ''}".strip()))


@anniversary_app.command("add")
def anniversary_add(
    spec: Annotated[list[str], typer.Argument(help="YYYY-MM-DD [HH:MM] TITLE [#tags]")],
) -> None:
    """Keep a date (use --MM-DD when the year is unknown)."""
    _guard(lambda: _command("/anniversary add " + " ".join(spec)))


@anniversary_app.command("edit")
def anniversary_edit(
    anniversary_id: int,
    spec: Annotated[list[str], typer.Argument(help="YYYY-MM-DD [HH:MM] TITLE [#tags]")],
) -> None:
    """Change a kept date."""
    _guard(lambda: _command(f"/anniversary edit {anniversary_id} " + " ".join(spec)))


@anniversary_app.command("list")
def anniversary_list() -> None:
    """Every kept date."""
    _guard(lambda: _command("/anniversary list"))


@anniversary_app.command("upcoming")
def anniversary_upcoming() -> None:
    """The next anniversaries with days left."""
    _guard(lambda: _command("/anniversaries"))


@anniversary_app.command("remove")
def anniversary_remove(anniversary_id: int) -> None:
    """Stop keeping a date."""
    _guard(lambda: _command(f"/anniversary remove {anniversary_id}"))


@app.command("import")
def import_command(
    files: Annotated[list[Path], typer.Argument(help="Saved posts, as text or HTML")],
) -> None:
    """Import saved society posts; importing a file again updates it."""
    _guard(lambda: _import(files))


async def _import(files: list[Path]) -> None:
    from bot.app import open_herald
    from bot.importers import ImportFormatError, parse_post

    herald = await open_herald(_settings())
    if not await herald.services.access.is_admin(_actor()):
        await herald.close()
        raise _fail(f"{_actor()} is not a Herald admin (see HERALD_ADMINS)")
    created = updated = failed = 0
    table = Table("file", "result")
    try:
        for path in track(files, description="Importing", console=err, disable=len(files) < 5):
            try:
                content = path.read_bytes().decode("utf-8-sig")
                new = parse_post(content, source=str(path))
            except (OSError, UnicodeDecodeError, ImportFormatError) as exc:
                failed += 1
                table.add_row(str(path), f"[red]skipped: {exc}[/red]")
                continue
            store = herald.repository.announcements
            announcement_id, was_new = await store.upsert_imported(new, now=herald.clock.now())
            created += was_new
            updated += not was_new
            table.add_row(str(path), f"#{announcement_id} {'new' if was_new else 'updated'}")
    finally:
        await herald.close()
    out.print(table)
    out.print(f"{created} new, {updated} updated, {failed} skipped")
    if failed:
        raise typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema up to date."""

    async def work() -> None:
        from storage.engine import create_engine, safe_url
        from storage.migrate import current_revision, upgrade

        settings = _settings()
        engine = create_engine(settings.database_url)
        try:
            before = await upgrade(engine)
            revision = await current_revision(engine)
        finally:
            await engine.dispose()
        where = safe_url(settings.database_url)
        if before == revision:
            out.print(f"{where} is up to date at schema {revision}", soft_wrap=True)
        else:
            out.print(f"{where} upgraded from schema {before or 'nothing'} to {revision}",
                      soft_wrap=True)

    _guard(work)


@discord_app.command("sync")
def discord_sync() -> None:
    """Publish the slash commands to Discord now."""

    async def work() -> None:
        from bot.app import open_herald, platform_adapters

        herald = await open_herald(_settings())
        try:
            adapters = [a for a in platform_adapters(herald) if a.name == "discord"]
            if not adapters:
                raise _fail("HERALD_DISCORD_TOKEN is not set")
            sync: Any = getattr(adapters[0], "sync_commands", None)
            if sync is None:
                raise _fail("this Discord adapter cannot sync commands")
            count = await sync()
            out.print(f"{count} commands synced")
        finally:
            await herald.close()

    _guard(work)


def _mount_delivery_commands() -> None:
    from bot.cli_delivery import register
    from bot.cli_feeds import register as register_feeds
    from bot.cli_ops import register as register_ops

    register(app)
    register_ops(app)
    register_feeds(app)


def main() -> None:
    """Entry point of the `herald` console script."""
    logging.captureWarnings(True)
    _mount_delivery_commands()
    app(prog_name="herald")


if __name__ == "__main__":
    main()
    sys.exit(0)
