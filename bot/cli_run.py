"""`herald run` and `herald console`: Herald itself, in the foreground."""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from bot.cli_errors import run, settings, usage
from bot.logs import configure_logging


def run_command(
    role: Annotated[
        str, typer.Option(help="all: adapters, scheduler and delivery; worker: delivery only")
    ] = "all",
    console: Annotated[bool, typer.Option(help="Also run the console adapter")] = False,
) -> None:
    """Run Herald: every configured platform; with none configured, the console."""
    if role not in ("all", "worker"):
        usage(f"--role must be all or worker, not {role!r}")
    loaded = settings()
    configure_logging(loaded)
    from bot.app import run as run_app

    chosen: Literal["all", "worker"] = "all" if role == "all" else "worker"
    raise typer.Exit(run(lambda: run_app(loaded, role=chosen, console=console)))


def console_command() -> None:
    """Run the console adapter (and any configured platform)."""
    loaded = settings()
    configure_logging(loaded)
    from bot.app import run as run_app

    raise typer.Exit(run(lambda: run_app(loaded, console=True)))


def register(app: typer.Typer) -> None:
    """Mount `herald run` and `herald console` on the `herald` app."""
    app.command("run")(run_command)
    app.command("console")(console_command)
