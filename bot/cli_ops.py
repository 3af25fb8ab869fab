"""`herald export`, `herald restore`, `herald backup`: moving house and backups from a shell."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from bot.cli_errors import fail, run, settings
from bot.doctor import Finding
from bot.settings import Settings

out = Console(highlight=False)


def _default_archive() -> Path:
    return Path(f"herald-{datetime.now(UTC):%Y%m%d-%H%M%S}.tar.gz")


def effective_settings(settings: Settings) -> list[tuple[str, str]]:
    """Every setting as HERALD_NAME and its value; secrets and passwords hidden."""
    from pydantic import SecretStr

    from storage.engine import safe_url

    rows = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            shown = "(set, hidden)"
        elif name == "database_url":
            shown = safe_url(value)
        else:
            shown = "(not set)" if value in (None, "") else str(value)
        rows.append((f"HERALD_{name.upper()}", shown))
    return rows


async def doctor_findings(settings: Settings) -> list[Finding]:
    """The database, the schema, the timezone, each platform's token, webhook and clock."""
    from adapters.discord.doctor import discord_findings
    from adapters.telegram.doctor import telegram_findings
    from storage.engine import create_engine, safe_url
    from storage.migrate import current_revision, head_revision

    found: list[Finding] = []
    engine = create_engine(settings.database_url)
    try:
        revision = await asyncio.wait_for(current_revision(engine), 10)
    except Exception as exc:
        reason = " ".join(str(getattr(exc, "orig", exc)).split())[:200] or type(exc).__name__
        found.append(Finding("database", False, f"cannot reach {safe_url(settings.database_url)}"
                             f": {reason}; check HERALD_DATABASE_URL"))  # fmt: skip
    else:
        found.append(Finding("database", True, f"{safe_url(settings.database_url)} answers"))
        head = head_revision()
        behind = f"at {revision or 'nothing'}, Herald needs {head}: run `herald db upgrade`"
        found.append(
            Finding("schema", True, f"at {head}")
            if revision == head
            else Finding("schema", False, behind)
        )
    finally:
        await engine.dispose()
    local = datetime.now(settings.zone)
    found.append(Finding("timezone", True, f"{settings.timezone}: {local:%Y-%m-%d %H:%M %Z}"))
    if settings.telegram_token is not None:
        found += await telegram_findings(
            settings.telegram_api_url, settings.telegram_token.get_secret_value()
        )
    if settings.discord_token is not None:
        found += await discord_findings(
            settings.discord_api_url, settings.discord_token.get_secret_value()
        )
    if settings.telegram_token is None and settings.discord_token is None:
        found.append(Finding("platforms", True, "none configured: `herald run` runs the console"))
    return found


def register(app: typer.Typer) -> None:
    """Mount the operator's commands on the `herald` app."""
    @app.command("export")
    def export_command(
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Archive file (.tar.gz)")
        ] = None,
    ) -> None:
        """Write everything the society owns to one archive (JSON Lines and photo files)."""
        path = output or _default_archive()
        if path.exists() and not path.is_file():
            # The archive replaces the path when complete: never a directory or a device.
            fail(f"{path} exists and is not a regular file; choose another name")

        async def work() -> str:
            from storage.archive import DatabaseArchive
            from storage.repository import ready_engine

            engine = await ready_engine(settings().database_url)
            try:
                return (await DatabaseArchive(engine).export(path)).describe()
            except OSError as exc:
                fail(f"cannot write {path}: {exc.strerror or exc}")
            finally:
                await engine.dispose()

        described = run(work)
        out.print(f"wrote {path} ({described})", markup=False, soft_wrap=True)

    @app.command("restore")
    def restore_command(
        file: Annotated[Path, typer.Argument(help="An archive written by `herald export`")],
    ) -> None:
        """Load an archive into an empty database (SQLite or PostgreSQL), all or nothing."""

        async def work() -> str:
            from storage.archive import DatabaseArchive
            from storage.engine import create_engine, safe_url

            url = settings().database_url
            engine = create_engine(url)
            try:
                summary = await DatabaseArchive(engine).restore(file)
            finally:
                await engine.dispose()
            return f"restored {file} into {safe_url(url)} ({summary.describe()})"

        message = run(work)
        out.print(message, markup=False, soft_wrap=True)

    @app.command("backup")
    def backup_command(
        file: Annotated[Path, typer.Argument(help="Where to write the copy (must not exist)")],
    ) -> None:
        """Copy the live SQLite database safely (SQLite's online backup API)."""
        from storage.backup import backup_sqlite

        url = settings().database_url
        size = run(lambda: asyncio.to_thread(backup_sqlite, url, file))
        out.print(f"wrote {file} ({size:,} bytes)", markup=False, soft_wrap=True)

    @app.command("doctor")
    def doctor_command() -> None:
        """Show the effective settings and check the database, tokens, webhook and clock."""
        loaded = settings()
        table = Table("setting", "value", title="Effective settings")
        for name, value in effective_settings(loaded):
            table.add_row(name, Text(value))
        out.print(table)
        findings = run(lambda: doctor_findings(loaded))
        for finding in findings:
            mark = "ok  " if finding.ok else "FAIL"
            out.print(f"{mark} {finding.check}: {finding.detail}", markup=False, soft_wrap=True)
        problems = sum(not finding.ok for finding in findings)
        if problems:
            fail(f"{problems} problem(s) found; fix what the FAIL lines say")
        out.print("everything checked is fine")
