"""The `herald` command line: run the bot, or act as an admin from a shell.

This module only assembles the Typer app; the commands live in the bot/cli_* modules beside
it, and every one of them reports errors through bot/cli_errors.py.
"""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer

from bot.cli_errors import HeraldGroup


def version() -> str:
    """The installed Herald's version."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("herald")
    except PackageNotFoundError:
        return "unknown"


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"herald {version()}")
        raise typer.Exit(0)


def build_app() -> typer.Typer:
    """The `herald` app with every subcommand mounted."""
    from bot import cli_admin, cli_chat, cli_delivery, cli_feeds, cli_import, cli_ops, cli_run

    herald = typer.Typer(
        cls=HeraldGroup,
        help="Herald publishes a society's announcements to Telegram and Discord.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )

    @herald.callback()
    def main_options(
        _version: Annotated[
            bool,
            typer.Option(
                "--version", callback=_show_version, is_eager=True, help="Print the version."
            ),
        ] = False,
    ) -> None:
        """Herald publishes a society's announcements to Telegram and Discord."""

    cli_run.register(herald)
    cli_chat.register(herald)
    cli_import.register(herald)
    cli_admin.register(herald)
    cli_delivery.register(herald)
    cli_ops.register(herald)
    cli_feeds.register(herald)
    return herald


app = build_app()


def main() -> None:
    """Entry point of the `herald` console script."""
    logging.captureWarnings(True)
    app(prog_name="herald")


if __name__ == "__main__":
    main()
    sys.exit(0)
