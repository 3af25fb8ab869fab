"""`herald db upgrade` and `herald discord sync`: keeping the database and Discord in shape."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console

from bot.cli_errors import fail, run, settings

out = Console(highlight=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
discord_app = typer.Typer(help="Discord maintenance.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema up to date."""

    async def work() -> str:
        from storage.engine import create_engine, safe_url
        from storage.migrate import SchemaUnknown, current_revision, known_revisions, upgrade

        url = settings().database_url
        engine = create_engine(url)
        try:
            found = await current_revision(engine)
            if found is not None and found not in known_revisions():
                raise SchemaUnknown(
                    f"the database schema is at {found}, which this Herald does not know: "
                    "it was migrated by a newer Herald; upgrade Herald instead"
                )
            before = await upgrade(engine)
            revision = await current_revision(engine)
        finally:
            await engine.dispose()
        where = safe_url(url)
        if before == revision:
            return f"{where} is up to date at schema {revision}"
        return f"{where} upgraded from schema {before or 'nothing'} to {revision}"

    out.print(run(work), markup=False, soft_wrap=True)


@discord_app.command("sync")
def discord_sync() -> None:
    """Publish the slash commands to Discord now."""

    async def work() -> int:
        from bot.app import open_herald, platform_adapters

        herald = await open_herald(settings())
        try:
            adapters = [a for a in platform_adapters(herald) if a.name == "discord"]
            if not adapters:
                fail("HERALD_DISCORD_TOKEN is not set")
            sync: Any = getattr(adapters[0], "sync_commands", None)
            if sync is None:
                fail("this Discord adapter cannot sync commands")
            count: int = await sync()
            return count
        finally:
            await herald.close()

    out.print(f"{run(work)} commands synced")


def register(app: typer.Typer) -> None:
    """Mount the maintenance commands on the `herald` app."""
    app.add_typer(db_app, name="db")
    app.add_typer(discord_app, name="discord")
