"""`herald db upgrade` and `herald discord sync`: keeping the database and Discord in shape."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console

from bot.cli_chat import chat
from bot.cli_errors import fail, run, settings

out = Console(highlight=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
discord_app = typer.Typer(help="Discord maintenance.", no_args_is_help=True)
admin_app = typer.Typer(help="Who may post (owners are HERALD_ADMINS).", no_args_is_help=True)
_ACTOR_HELP = "PLATFORM:USER_ID, e.g. telegram:12345 or discord:4242"


@admin_app.command("add")
def admin_add(actor: Annotated[str, typer.Argument(help=_ACTOR_HELP)]) -> None:
    """Make someone a Herald admin (owners only)."""
    chat(f"/admin add {actor}")


@admin_app.command("remove")
def admin_remove(actor: Annotated[str, typer.Argument(help=_ACTOR_HELP)]) -> None:
    """Take someone's admin rights away (owners only)."""
    chat(f"/admin remove {actor}")


@admin_app.command("list")
def admin_list() -> None:
    """The admins owners added."""
    chat("/admin list")


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
    app.add_typer(admin_app, name="admin")
    app.add_typer(db_app, name="db")
    app.add_typer(discord_app, name="discord")
