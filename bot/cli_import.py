"""`herald import`: saved society posts (text or HTML) into announcements, each file alone."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from bot.cli_chat import actor
from bot.cli_errors import fail, run, settings

if TYPE_CHECKING:
    from bot.services.imports import ImportOutcome

# soft_wrap: a line Rich routes above the progress bar is not folded at the terminal's width.
err = Console(stderr=True, highlight=False, soft_wrap=True)


def import_command(
    files: Annotated[list[Path], typer.Argument(help="Saved posts, as text or HTML")],
) -> None:
    """Import saved society posts; importing a post again updates it.

    A post is known by its page's address (HTML canonical link or og:url, or a `URL:` line
    in text), else by its title, date, author and text together. A file that cannot be
    imported is reported with the reason and the others go on; exit 1 when any failed.
    """
    run(lambda: _import(files))


async def _import(files: list[Path]) -> None:
    from bot.app import open_herald
    from bot.services.imports import ImportService

    herald = await open_herald(settings())
    try:
        if not await herald.services.access.is_admin(actor()):
            fail(f"{actor()} is not a Herald admin (see HERALD_ADMINS)")
        service = ImportService(
            herald.repository.announcements,
            herald.clock,
            on_change=herald.services.announcements.forget_listings,
            tag_limits=herald.settings.tag_limits,
        )
        outcomes: list[ImportOutcome] = []
        try:
            with _progress(len(files)) as advance:
                for path in files:
                    outcome = await service.import_file(path)
                    outcomes.append(outcome)
                    _show(outcome)
                    advance()
        except asyncio.CancelledError:
            # Ctrl-C: the file being imported rolled back; the ones before it are kept.
            fail(
                f"interrupted after {len(outcomes)} of {len(files)} files ({_summary(outcomes)});"
                " import again to finish"
            )
    finally:
        await herald.close()
    failed = sum(not o.ok for o in outcomes)
    _write(sys.stdout, _summary(outcomes))
    if failed:
        raise typer.Exit(1)


def _summary(outcomes: list[ImportOutcome]) -> str:
    created = sum(o.ok and o.created for o in outcomes)
    updated = sum(o.ok and not o.created for o in outcomes)
    return f"{created} new, {updated} updated, {sum(not o.ok for o in outcomes)} skipped"


def _show(outcome: ImportOutcome) -> None:
    """One line per file: stored on stdout, refused on stderr (with the reason)."""
    name = literal(outcome.name)
    if outcome.ok:
        state = "new" if outcome.created else "updated"
        _write(sys.stdout, f"#{outcome.announcement_id} {state}: {name}")
        if outcome.left_out:
            shown = literal(", ".join(outcome.left_out))
            why = "past the cap per post, or unusable"
            _write(sys.stderr, f"herald: {name}: tags left out ({why}): {shown}")
    else:
        _write(sys.stderr, f"herald: skipped {name}: {literal(outcome.problem or '')}")


def _write(stream: TextIO, line: str) -> None:
    # Plain writes: a file name is never read as markup. While the progress bar is shown,
    # Rich routes these writes above it.
    print(line, file=stream, flush=True)


def literal(name: str) -> str:
    """A file name as typed, with control characters (a newline, an escape) made visible."""
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in name
    )


@contextmanager
def _progress(total: int) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr for a batch, only on a terminal; yields `advance()`."""
    if total < 2 or not err.is_terminal:
        yield lambda: None
        return
    bar = Progress(
        TextColumn("Importing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        # Stdout lines go above the bar only when stdout is this terminal too: redirected to a
        # file, they must stay in the file.
        console=err, transient=True, redirect_stdout=sys.stdout.isatty(), redirect_stderr=True,
    )  # fmt: skip
    task = bar.add_task("import", total=total)
    with bar:
        yield lambda: bar.advance(task)


def register(app: typer.Typer) -> None:
    """Mount `herald import` on the `herald` app."""
    app.command("import")(import_command)

