"""/feed on Discord: a slash command group for Herald admins that becomes the core's /feed."""

from __future__ import annotations

from adapters.discord.adapter import DiscordAdapter
from tests.discord.conftest import RecordingCore
from tests.discord.test_adapter_commands import society
from tests.fakes.discord_api import FakeDiscord


async def test_feed_subcommands_become_core_commands(
    adapter: DiscordAdapter, fake: FakeDiscord, core: RecordingCore
) -> None:
    synced = {c["name"]: c for c in fake.commands[None]}
    feed = synced["feed"]
    assert feed["default_member_permissions"] == "32"  # Manage Server, like /post
    names = {o["name"] for o in feed["options"]}
    assert names == {"add", "list", "pause", "resume", "remove", "poll"}
    add = next(o for o in feed["options"] if o["name"] == "add")
    ru = "Следить за лентой или страницей новостей сайта"
    assert add["description_localizations"]["ru"] == ru
    _, general, member = society(fake)
    options = {"url": "https://s.example/rss", "tags": "News, Korea", "draft": True,
               "every": "2h", "backfill": 3}  # fmt: skip
    for subcommand, values in (("add", options), ("list", {}), ("pause", {"id": 4}),
                               ("poll", {})):  # fmt: skip
        await fake.reply_to(
            await fake.slash(
                "feed", values, subcommand=subcommand, user=member, channel=general, admin=True
            )
        )
    assert [c.text for c in core.seen] == [
        "/feed add https://s.example/rss --draft --every 2h --backfill 3 --tags News, Korea",
        "/feed list",
        "/feed pause 4",
        "/feed poll",
    ]
