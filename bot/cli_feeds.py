"""`herald feed add|list|pause|resume|remove|poll`: the society's website sources from a shell."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console

from bot.cli_chat import actor
from bot.cli_errors import HeraldGroup, debugging, fail, run, settings, usage

if TYPE_CHECKING:
    from bot.app import Herald
    from bot.feeds.service import PollReport

T = TypeVar("T")
out = Console(highlight=False)
feed_app = typer.Typer(
    cls=HeraldGroup,
    help="The society's website: feeds and news pages followed.",
    no_args_is_help=True,
)


def _run(work: Callable[[Herald], Awaitable[T]]) -> T:
    """Open Herald, check the shell user is an admin, run `work`; one line and exit 1 on refusal."""
    from bot.app import open_herald
    from bot.feeds.service import SourceError, UnknownSource
    from bot.feeds.sources import DuplicateSource

    if not debugging():
        # The command prints what each poll did; the service's log lines would say it twice.
        logging.getLogger("bot.feeds").setLevel(logging.ERROR)

    async def guarded() -> T:
        herald = await open_herald(settings())
        try:
            if not await herald.services.access.is_admin(actor()):
                fail(f"{actor()} is not a Herald admin (see HERALD_ADMINS)")
            return await work(herald)
        except UnknownSource as unknown:
            fail(f"there is no feed #{unknown.args[0]}")
        except DuplicateSource as twice:
            fail(f"that address is already feed #{twice.source_id}")
        except SourceError as error:
            fail(str(error))
        finally:
            await herald.close()

    return run(guarded)


@feed_app.command("add")
def feed_add(
    url: Annotated[str, typer.Argument(help="An RSS, Atom or JSON feed, or an HTML news page")],
    tags: Annotated[str, typer.Option(help="Tags for every new announcement: a,b")] = "",
    publish: Annotated[
        bool, typer.Option("--publish/--draft", help="Publish new entries, or keep drafts")
    ] = True,
    every: Annotated[str, typer.Option(help="How often to poll: 15m, 2h, 1d")] = "15m",
    backfill: Annotated[int, typer.Option(help="Announce the newest N entries now")] = 0,
) -> None:
    """Follow a feed or news page; what it shows now is taken as seen (unless --backfill)."""
    from bot.feeds.service import SourceError, valid_address
    from bot.feeds.sources import SourceMode, format_every, parse_every
    from bot.tags import split_tag_list

    if not valid_address(url.strip()):
        usage(str(SourceError("address", url.strip())))
    try:
        interval = parse_every(every)
    except ValueError as exc:
        usage(f"--every: {exc}")
    if backfill < 0:
        usage("--backfill must be 0 or more")
    mode = SourceMode.PUBLISH if publish else SourceMode.DRAFT

    async def work(herald: Herald) -> None:
        assert herald.feeds is not None
        added = await herald.feeds.add(
            url, actor=actor(), tags=split_tag_list(tags), mode=mode, every=interval,
            backfill=backfill,
        )  # fmt: skip
        source = added.source
        backfilled = ", ".join(f"#{i}" for i in added.created)
        out.print(
            f"feed #{source.id} added ({source.kind.value}, {source.mode.value}, every "
            f"{format_every(source.every)}): {added.entries} "
            + ("entry" if added.entries == 1 else "entries") + " taken as seen"
            + (f"; backfilled {backfilled}" if backfilled else ""),
            markup=False, soft_wrap=True,
        )  # fmt: skip

    _run(work)


@feed_app.command("list")
def feed_list() -> None:
    """Every source with its last success, last error and next poll (society time)."""
    from bot.feeds.sources import format_every
    from bot.render import local_time

    async def work(herald: Herald) -> None:
        assert herald.feeds is not None
        sources = await herald.feeds.sources()
        if not sources:
            out.print("no feeds yet: add one with `herald feed add URL`")
            return
        zone = herald.settings.zone
        # One block per source: an address is never cut to fit a table's column.
        for s in sources:
            state = "paused" if s.paused else "active"
            if s.failures:
                state += f", {s.failures} failure{'' if s.failures == 1 else 's'} in a row"
            tags = f", tags: {', '.join(s.tags)}" if s.tags else ""
            lines = [
                f"#{s.id} {s.url}",
                f"   {s.kind.value}, {s.mode.value}, every {format_every(s.every)}{tags}; {state}",
                f"   last success: {local_time(s.last_success, zone) or 'never'}"
                f" · next poll: {'paused' if s.paused else local_time(s.next_poll, zone)}",
            ]
            if s.last_error:
                lines.append(f"   last error ({local_time(s.last_error_at, zone)}): {s.last_error}")
            for line in lines:
                out.print(line, markup=False, soft_wrap=True)

    _run(work)


@feed_app.command("pause")
def feed_pause(source_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Stop polling a source until resumed."""

    async def work(herald: Herald) -> None:
        assert herald.feeds is not None
        await herald.feeds.pause(source_id)
        out.print(f"feed #{source_id} paused")

    _run(work)


@feed_app.command("resume")
def feed_resume(source_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Poll a paused source again (its next poll is now)."""

    async def work(herald: Herald) -> None:
        assert herald.feeds is not None
        await herald.feeds.resume(source_id)
        out.print(f"feed #{source_id} resumed")

    _run(work)


@feed_app.command("remove")
def feed_remove(source_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Forget a source; its announcements stay."""

    async def work(herald: Herald) -> None:
        assert herald.feeds is not None
        await herald.feeds.remove(source_id)
        out.print(f"feed #{source_id} removed; its announcements stay")

    _run(work)


@feed_app.command("poll")
def feed_poll(
    source_id: Annotated[int | None, typer.Argument(metavar="[ID]")] = None,
) -> None:
    """Poll now, once: one source (even paused), or every active one. Exit 1 if one failed."""

    async def work(herald: Herald) -> list[PollReport]:
        assert herald.feeds is not None
        if source_id is None:
            return await herald.feeds.poll_all()
        return [await herald.feeds.poll(source_id, force=True)]

    reports = _run(work)
    if not reports:
        out.print("no active feeds to poll")
    for report in reports:
        if report.status == "failed":
            line = f"failed: {report.error}"
        elif report.status == "changed":
            line = f"{len(report.created)} new, {len(report.edited)} edited"
            ids = [f"#{i}" for i in (*report.created, *report.edited)]
            line += f" ({', '.join(ids)})" if ids else ""
        else:
            line = report.status.replace("_", " ")
        out.print(f"feed #{report.source_id}: {line}", markup=False, soft_wrap=True)
    if any(report.status == "failed" for report in reports):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Mount `herald feed` on the `herald` app."""
    app.add_typer(feed_app, name="feed")
