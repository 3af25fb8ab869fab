"""`herald export`, `herald restore`, `herald backup`: moving house and backups from a shell."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

out = Console(highlight=False)


def _default_archive() -> Path:
    return Path(f"herald-{datetime.now(UTC):%Y%m%d-%H%M%S}.tar.gz")


def register(app: typer.Typer) -> None:
    """Mount the operator's commands on the `herald` app."""
    from bot.archive import ArchiveError
    from bot.cli import _fail, _guard, _settings

    @app.command("export")
    def export_command(
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Archive file (.tar.gz)")
        ] = None,
    ) -> None:
        """Write everything the society owns to one archive (JSON Lines and photo files)."""
        path = output or _default_archive()

        async def work() -> str:
            from storage.archive import DatabaseArchive
            from storage.engine import create_engine

            engine = create_engine(_settings().database_url)
            try:
                return (await DatabaseArchive(engine).export(path)).describe()
            finally:
                await engine.dispose()

        try:
            described = _guard(work)
        except ArchiveError as exc:
            raise _fail(str(exc)) from None
        out.print(f"wrote {path} ({described})", markup=False, soft_wrap=True)

    @app.command("restore")
    def restore_command(
        file: Annotated[Path, typer.Argument(help="An archive written by `herald export`")],
    ) -> None:
        """Load an archive into an empty database (SQLite or PostgreSQL), all or nothing."""

        async def work() -> str:
            from storage.archive import DatabaseArchive
            from storage.engine import create_engine, safe_url

            url = _settings().database_url
            engine = create_engine(url)
            try:
                summary = await DatabaseArchive(engine).restore(file)
            finally:
                await engine.dispose()
            return f"restored {file} into {safe_url(url)} ({summary.describe()})"

        try:
            message = _guard(work)
        except ArchiveError as exc:
            raise _fail(str(exc)) from None
        out.print(message, markup=False, soft_wrap=True)

    @app.command("backup")
    def backup_command(
        file: Annotated[Path, typer.Argument(help="Where to write the copy (must not exist)")],
    ) -> None:
        """Copy the live SQLite database safely (SQLite's online backup API)."""
        from storage.backup import backup_sqlite

        try:
            size = asyncio.run(asyncio.to_thread(backup_sqlite, _settings().database_url, file))
        except ArchiveError as exc:
            raise _fail(str(exc)) from None
        out.print(f"wrote {file} ({size:,} bytes)", markup=False, soft_wrap=True)
