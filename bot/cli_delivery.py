"""`herald status [ID] [--follow]`, `herald deliveries dead|retry`: the outbox from a shell.

Part of the composition root (beside bot/cli.py): it opens the database named by settings
and hands the commands storage's outbox as bot.ports.outbox.DeliveryReports.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from bot.cli_errors import HeraldGroup, fail, run, settings, usage
from bot.delivery.status import DeliveryStatus, dead_letters, delivery_status, retry_dead_letters
from bot.ports import SystemClock
from bot.ports.outbox import DeliveryReports

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

T = TypeVar("T")
Database = Callable[[], "str | AsyncEngine"]


def _console() -> Console:
    # Made per command, so the terminal's width (COLUMNS) is read when the command runs.
    return Console(highlight=False)


def _settings_url() -> str:
    return settings().database_url


def _run(
    database: Database,
    work: Callable[[DeliveryReports], Awaitable[T]],
    *,
    announcement_id: int | None = None,
) -> T:
    """Run `work` on the database's outbox (schema checked; exit 1 for a missing announcement)."""
    target = database()

    async def main() -> T:
        from storage.outbox import SqlOutbox
        from storage.repository import Repository, ready_engine

        # A database URL gets an engine of its own (schema checked); an engine is borrowed.
        engine = await ready_engine(target) if isinstance(target, str) else target
        try:
            if announcement_id is not None:
                found = await Repository.for_engine(engine).announcements.get(announcement_id)
                if found is None:
                    fail(f"There is no announcement #{announcement_id}.")
            return await work(SqlOutbox.for_engine(engine))
        finally:
            if isinstance(target, str):
                await engine.dispose()

    return run(main)


def status_table(status: DeliveryStatus) -> Table:
    """Sent, pending, failed, dead and skipped per platform, with a total row."""
    title = (
        f"Announcement {status.announcement_id}" if status.announcement_id else "All deliveries"
    )
    table = Table(title=title)
    for column in ("platform", "sent", "pending", "failed", "dead", "skipped", "total"):
        table.add_column(column, justify="left" if column == "platform" else "right")
    rows = [*status.platforms.items(), ("all", status.total)]
    for name, c in rows:
        table.add_row(
            name, *(str(v) for v in (c.sent, c.pending, c.failed, c.dead, c.skipped, c.total))
        )
    return table


class _RateColumn(ProgressColumn):
    """Messages per second, from Rich's own speed estimate."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} msg/s" if speed else "– msg/s")


async def follow(
    read: Callable[[], Awaitable[DeliveryStatus]],
    *,
    interval: float = 0.5,
    console: Console | None = None,
) -> DeliveryStatus:
    """Show a live progress bar with rate and time left until nothing is left to send."""
    status = await read()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f}/{task.total:,.0f}"),
        _RateColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[detail]}"),
        console=console or _console(),
    ) as progress:
        task = progress.add_task("delivering", total=max(1, status.total.total), detail="")
        while True:
            total = status.total
            progress.update(
                task,
                total=max(1, total.total),
                completed=total.total - total.open,
                detail=f"failed {total.failed}, dead {total.dead}, skipped {total.skipped}",
            )
            if status.finished:
                break
            await asyncio.sleep(interval)
            status = await read()
    return status


def make_status_command(database: Database | None = None) -> Callable[..., None]:
    """The `status` command, reading the database that `database()` names."""
    db = database or _settings_url

    def status(
        announcement_id: Annotated[
            int | None, typer.Argument(help="Announcement id; all deliveries when omitted.")
        ] = None,
        watch: Annotated[
            bool, typer.Option("--follow", "-f", help="Live progress until done.")
        ] = False,
    ) -> None:
        """Sent, pending, failed and dead deliveries per platform."""

        async def work(reports: DeliveryReports) -> DeliveryStatus:
            if watch:
                return await follow(lambda: delivery_status(reports, announcement_id))
            return await delivery_status(reports, announcement_id)

        _console().print(status_table(_run(db, work, announcement_id=announcement_id)))

    return status


def make_deliveries_app(database: Database | None = None) -> typer.Typer:
    """The `deliveries` command group: list and retry dead letters."""
    db = database or _settings_url
    app = typer.Typer(cls=HeraldGroup, help="Dead-lettered deliveries.", no_args_is_help=True)

    @app.command("dead")
    def dead(
        limit: Annotated[int, typer.Option(help="How many rows, newest first.")] = 50,
    ) -> None:
        """List dead-lettered deliveries with their reasons."""
        found = _run(db, lambda s: dead_letters(s, limit=limit))
        if not found:
            _console().print("No dead deliveries.")
            return
        table = Table(title="Dead deliveries")
        for column in ("id", "platform", "chat", "action", "what", "tries", "when", "reason"):
            table.add_column(column)
        for row in found:
            what = (
                f"announcement {row.announcement_id}"
                if row.announcement_id is not None
                else f"anniversary {row.occurrence_id}"
            )
            table.add_row(
                str(row.id), row.platform, Text(row.external_id), row.action, what,
                str(row.attempts), row.updated_at.strftime("%Y-%m-%d %H:%M UTC"),
                Text(row.error or ""),
            )
        _console().print(table)

    @app.command("retry")
    def retry(
        ids: Annotated[list[int] | None, typer.Argument(help="Delivery ids to retry.")] = None,
        every: Annotated[bool, typer.Option("--all", help="Retry every dead delivery.")] = False,
    ) -> None:
        """Put dead deliveries back in the queue."""
        if not ids and not every:
            usage("name delivery ids, or pass --all")
        chosen = None if every else list(ids or [])
        count = _run(db, lambda s: retry_dead_letters(s, SystemClock(), chosen))
        _console().print(f"Queued {count} deliveries again.")

    return app


def register(app: typer.Typer, database: Database | None = None) -> None:
    """Mount `status` and `deliveries` on the `herald` app."""
    app.command("status")(make_status_command(database))
    app.add_typer(make_deliveries_app(database), name="deliveries")


def make_app(database: Database | None = None) -> typer.Typer:
    """A stand-alone app with the delivery commands (for tests and embedding)."""
    app = typer.Typer(cls=HeraldGroup, no_args_is_help=True, add_completion=False)
    register(app, database)
    return app


# Ready-made, reading HERALD_DATABASE_URL (bot.settings) when a command runs, not on import.
status_command = make_status_command()
deliveries_app = make_deliveries_app()
