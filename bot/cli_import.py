"""`herald import`: saved society posts (text or HTML) into announcements."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import track
from rich.table import Table

from bot.cli_chat import actor
from bot.cli_errors import fail, run, settings

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def import_command(
    files: Annotated[list[Path], typer.Argument(help="Saved posts, as text or HTML")],
) -> None:
    """Import saved society posts; importing a file again updates it."""
    run(lambda: _import(files))


async def _import(files: list[Path]) -> None:
    from bot.app import open_herald
    from bot.importers import ImportFormatError, parse_post

    herald = await open_herald(settings())
    if not await herald.services.access.is_admin(actor()):
        await herald.close()
        fail(f"{actor()} is not a Herald admin (see HERALD_ADMINS)")
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


def register(app: typer.Typer) -> None:
    """Mount `herald import` on the `herald` app."""
    app.command("import")(import_command)
