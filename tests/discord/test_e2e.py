"""End to end: the real core on a real database, the delivery engine, discord.py and the fake."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.discord.adapter import DiscordAdapter
from adapters.discord.render import EMBED_TOTAL_LIMIT
from adapters.discord.wiring import discord_config
from bot.app import Herald, open_herald
from bot.commands.throttle import BucketSize, CommandThrottle
from bot.commands.types import Command
from bot.domain import ChatKind
from bot.settings import Settings
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.discord_payloads import (
    FakeChannel,
    FakeGuild,
    FakeInteraction,
    FakeMessage,
    FakeUser,
)


@dataclass
class World:
    """Herald running with Discord only, and the fake it talks to."""

    fake: FakeDiscord
    herald: Herald
    adapter: DiscordAdapter
    guild: FakeGuild
    general: FakeChannel
    news: FakeChannel
    admin: FakeUser
    member: FakeUser

    async def run(
        self,
        name: str,
        options: dict[str, object] | None = None,
        *,
        user: FakeUser,
        channel: FakeChannel,
        manage: bool = False,
        subcommand: str | None = None,
    ) -> FakeMessage:
        interaction = await self.fake.slash(
            name, options, user=user, channel=channel, admin=manage, subcommand=subcommand
        )
        return await self.fake.reply_to(interaction)

    async def modal(self, verb: str, values: dict[str, str], *, user: FakeUser) -> FakeMessage:
        opened = await self.fake.answered(
            await self.fake.slash(verb, user=user, channel=self.general)
        )
        return await self.fake.reply_to(await self.fake.submit_modal(opened, values, user=user))

    async def post_as_admin(self, text: str) -> None:
        reply = await self.herald.router.handle(
            Command(
                platform="discord",
                chat_id=str(self.fake.dm_channel(self.admin).id),
                chat_kind=ChatKind.DM,
                user_id=str(self.admin.id),
                text=text,
            )
        )
        assert reply is not None
        assert "published" in reply.plain(), reply.plain()

    def delivered(self, channel: FakeChannel) -> list[FakeMessage]:
        """Announcements (not interaction answers) in a channel."""
        return [m for m in self.fake.channel_messages(channel.id) if m.interaction_id is None]


@pytest.fixture
async def world(fake: FakeDiscord, database_url: str) -> AsyncIterator[World]:
    from storage.engine import create_engine
    from storage.migrate import upgrade

    engine = create_engine(database_url)
    await upgrade(engine)
    await engine.dispose()
    guild = next(iter(fake.guilds.values()))
    admin, member = guild.members
    settings = Settings(
        database_url=database_url,
        admins=f"discord:{admin.id}",
        discord_token=fake.token,
        discord_api_url=fake.api_url,
        discord_gateway_url=fake.gateway_url,
    )
    old = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    herald = await open_herald(settings)
    config = replace(discord_config(settings), guild_ready_timeout=0.05, start_timeout=5.0)
    adapter = DiscordAdapter(
        herald.router, config, state=herald.repository.state, defer_after=1.5
    )
    herald.adapters = [adapter]
    delivery = herald.start_delivery({"discord": adapter})
    await delivery.start()
    await adapter.start()
    try:
        yield World(
            fake,
            herald,
            adapter,
            guild,
            guild.channel("general"),
            guild.channel("news"),
            admin,
            member,
        )
    finally:
        await herald.close()
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old


async def test_post_from_the_modal_reaches_channels_and_dms(world: World) -> None:
    fake, member = world.fake, world.member
    dm = fake.dm_channel(member)
    assert (
        await world.run("subscribe", user=member, channel=world.general, manage=True)
    ).content == ("Subscribed to every announcement.")
    korea = await world.run(
        "subscribe", {"tags": "Korea"}, user=member, channel=world.news, manage=True
    )
    assert korea.content == "Subscribed to #Korea."
    await world.run("subscribe", user=member, channel=dm)
    mine = await world.run("subscriptions", user=member, channel=world.news, manage=True)
    assert mine.ephemeral
    assert "#Korea" in mine.content

    done = await world.modal(
        "post",
        {
            "title": "Liberation Day",
            "body": "We remember August 15, 1945. @everyone",
            "tags": "Korea",
        },
        user=world.admin,
    )
    assert "published; it goes to 3 chats" in done.content
    assert done.button_ids() == ["/anniversary suggest 1 0"]
    await fake.wait_until(
        lambda: all(len(world.delivered(c)) == 1 for c in (world.general, world.news, dm))
    )
    for channel in (world.general, world.news, dm):
        (message,) = world.delivered(channel)
        (embed,) = message.embeds
        assert embed["title"] == "Liberation Day"
        assert embed["description"] == "We remember August 15, 1945. @everyone"
        assert "#Korea" in embed["footer"]["text"]
        assert message.allowed_mentions == {"parse": []}
    await fake.wait_until(lambda: world.delivered(world.news)[0].crossposted)
    assert not world.delivered(world.general)[0].crossposted

    await world.modal(
        "post", {"title": "Moscow news", "body": "Elsewhere.", "tags": "Russia"}, user=world.admin
    )
    await fake.wait_until(
        lambda: len(world.delivered(world.general)) == 2 and len(world.delivered(dm)) == 2
    )
    assert len(world.delivered(world.news)) == 1


async def test_non_admins_are_refused_privately(world: World) -> None:
    fake, member = world.fake, world.member
    # Discord would hide these from a member; a server owner may allow them anyway, and the
    # member with Manage Channels is still no Herald admin: the core refuses, before any form.
    for verb, options in (("post", {}), ("draft", {}), ("edit", {"id": 1})):
        for manage in (False, True):
            refused = await fake.answered(
                await fake.slash(verb, options, user=member, channel=world.general, admin=manage)
            )
            assert refused.callback_type == 4, verb  # a message, not the form
            answer = fake.messages[refused.original_id or 0]
            assert answer.ephemeral
            assert answer.content == f"Only Herald admins can use /{verb}."
    russian = await fake.answered(
        await fake.slash("post", user=member, channel=world.general, locale="ru")
    )
    assert fake.messages[russian.original_id or 0].content == (
        "Команда /post доступна только администраторам Herald."
    )
    refused_commands: list[tuple[str, dict[str, object], str | None]] = [
        ("publish", {"id": 1}, None),
        ("schedule", {"id": 1, "date": "2030-01-01", "time": "09:00"}, None),
        ("delete", {"id": 1}, None),
        ("stats", {}, None),
        ("anniversary", {}, "list"),
    ]
    for name, arguments, subcommand in refused_commands:
        answer = await world.run(
            name, arguments, user=member, channel=world.general, manage=True, subcommand=subcommand
        )
        assert answer.ephemeral
        assert answer.content == f"Only Herald admins can use /{name}.", name
    who: dict[str, object] = {"who": f"discord:{member.id}"}
    owners = await world.run("admin", who, user=member, channel=world.general, subcommand="add")
    assert owners.content == "Only owners can do that."
    unsubscribe = await world.run("unsubscribe", user=member, channel=world.general)
    assert "Only this chat's admins" in unsubscribe.content
    assert world.delivered(world.general) == []
    assert not any((await world.herald.repository.announcements.counts()).values())
    opened = await fake.answered(await fake.slash("post", user=world.admin, channel=world.general))
    assert opened.callback_type == 9  # a Herald admin without any Discord permission


async def test_paging_buttons_and_autocomplete(world: World) -> None:
    for i in range(7):
        await world.post_as_admin(f"/post Korea news {i}\nBody {i}.\nTags: Korea, Friends of Korea")
    choices = await world.fake.answered(
        await world.fake.autocomplete(
            "tag", "name", "fri", user=world.member, channel=world.general
        )
    )
    assert [c["value"] for c in choices.choices()] == ["Friends of Korea"]
    first = await world.run("tag", {"name": "Korea"}, user=world.member, channel=world.general)
    assert "Korea news 6" in first.content
    assert "Korea news 0" not in first.content
    (next_page,) = first.button_ids()
    assert next_page == "/tag Korea 2"
    pressed: FakeInteraction = await world.fake.answered(
        await world.fake.press(first, next_page, user=world.member)
    )
    assert pressed.callback_type == 7
    assert "Korea news 0" in first.content
    assert "Korea news 6" not in first.content
    assert first.button_ids() == ["/tag Korea 1"]


async def test_latest_count_and_tags_page_do_what_they_say(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.commands import member

    for i in range(4):
        await world.post_as_admin(f"/post News {i}\nBody {i}.\nTags: Topic {i}")
    two = await world.run("latest", {"count": 2}, user=world.member, channel=world.general)
    assert "News 3" in two.content
    assert "News 2" in two.content
    assert "News 1" not in two.content
    assert two.button_ids() == ["/latest 2 2"]
    await world.fake.answered(await world.fake.press(two, "/latest 2 2", user=world.member))
    assert "News 1" in two.content
    assert "News 0" in two.content
    assert "News 3" not in two.content
    tenth = await world.run("latest", {"page": 10}, user=world.member, channel=world.general)
    assert tenth.content == "Page 10 is past the end (the last page is 1)."
    monkeypatch.setattr(member, "TAGS_SHOWN", 3)
    second = await world.run("tags", {"page": 2}, user=world.member, channel=world.general)
    assert "Page 2 of 2" in second.content
    assert second.content.count("#Topic") == 1  # the fourth of four, most used first
    assert second.button_ids()[-1] == "/tags 1"


async def test_anniversary_time_and_title_stay_apart(world: World) -> None:
    options: dict[str, object] = {"date": "1945-08-15", "title": "10:30 train", "time": "09:00"}
    added = await world.run(
        "anniversary", options, user=world.admin, channel=world.general, subcommand="add"
    )
    assert added.content.startswith("Anniversary #1 kept: 10:30 train")
    (kept,) = await world.herald.services.anniversaries.all()
    assert (kept.title, kept.time_of_day) == ("10:30 train", "09:00")


async def test_deleted_channel_disables_the_target(world: World) -> None:
    await world.run("subscribe", user=world.member, channel=world.general, manage=True)
    await world.run("subscribe", user=world.member, channel=world.news, manage=True)
    world.general.deleted = True
    await world.post_as_admin("/post First\nAfter the channel went away.")
    assert world.herald.delivery is not None
    await world.herald.delivery.run_until_idle(timeout=5)
    assert len(world.delivered(world.news)) == 1
    chat = await world.herald.repository.chats.get("discord", str(world.general.id))
    assert chat is not None
    assert not chat.active
    assert chat.inactive_reason is not None
    assert "10003" in chat.inactive_reason
    requests = [r for r in world.fake.requests if f"/channels/{world.general.id}/" in r[1]]
    await world.post_as_admin("/post Second\nNot sent to a gone channel.")
    await world.fake.wait_until(lambda: len(world.delivered(world.news)) == 2)
    assert [r for r in world.fake.requests if f"/channels/{world.general.id}/" in r[1]] == requests

    # The channel is back (access restored) and an admin subscribes it again: it is active.
    world.general.deleted = False
    await world.run("subscribe", user=world.member, channel=world.general, manage=True)
    chat = await world.herald.repository.chats.get("discord", str(world.general.id))
    assert chat is not None
    assert chat.active
    await world.post_as_admin("/post Third\nThe channel is back.")
    await world.fake.wait_until(lambda: len(world.delivered(world.general)) == 1)


async def test_nine_thousand_character_post(world: World) -> None:
    await world.run("subscribe", user=world.member, channel=world.general, manage=True)
    body = "\n\n".join(f"Paragraph {i}. " + "friendship " * 80 for i in range(11))
    assert len(body) >= 9000
    await world.post_as_admin(f"/post A long letter\n{body}")
    await world.fake.wait_until(lambda: len(world.delivered(world.general)) >= 2)
    messages = world.delivered(world.general)
    assert all(
        sum(len(e.get("description", "")) for e in m.embeds) <= EMBED_TOTAL_LIMIT for m in messages
    )
    text = "\n".join(m.text() for m in messages)
    assert text.count("Paragraph") == 11
    assert messages[0].embeds[0]["title"] == "A long letter"


async def test_edit_and_retract_reach_the_sent_copies(world: World) -> None:
    fake = world.fake
    await world.run("subscribe", user=world.member, channel=world.general, manage=True)
    await world.run("subscribe", user=world.member, channel=world.news, manage=True)
    await world.post_as_admin("/post Meeting\nOn Friday.\nTags: Korea")
    await fake.wait_until(lambda: len(world.delivered(world.general)) == 1)
    await fake.wait_until(lambda: len(world.delivered(world.news)) == 1)
    (copy,) = world.delivered(world.general)

    opened = await fake.answered(
        await fake.slash("edit", {"id": 1}, user=world.admin, channel=world.general)
    )
    values = {"title": "Meeting moved", "body": "On Saturday.", "tags": "Korea"}
    edited = await fake.reply_to(await fake.submit_modal(opened, values, user=world.admin))
    assert "edited" in edited.content
    await fake.wait_until(lambda: copy.embeds[0].get("title") == "Meeting moved")
    assert copy.embeds[0]["description"] == "On Saturday."
    assert copy.edits == 1

    retracted = await world.run("delete", {"id": 1}, user=world.admin, channel=world.general)
    assert "#1" in retracted.content
    await fake.wait_until(
        lambda: not world.delivered(world.general) and not world.delivered(world.news)
    )
    assert copy.deleted


async def test_a_member_flooding_slash_commands_is_told_once_then_acknowledged_only(
    world: World,
) -> None:
    # The default sizes, refilling slowly: a loaded machine must not refill a token mid-test.
    world.herald.router.throttle = CommandThrottle(BucketSize(10, 3600.0), BucketSize(60, 3600.0))
    answers = [
        await world.run("tags", user=world.member, channel=world.general) for _ in range(13)
    ]
    assert all("faster than I can answer" not in a.content for a in answers[:10])
    notice = answers[10]
    assert notice.ephemeral
    assert notice.content.startswith("You are sending commands faster than I can answer")
    # Dropped: Discord needs an answer to every interaction, so only a private ✔.
    assert [(a.content, a.ephemeral) for a in answers[11:]] == [("\u2714", True)] * 2
    other = await world.run("tags", user=world.admin, channel=world.general)
    assert "faster" not in other.content


async def test_a_feed_drafts_publish_button_publishes_once_and_only_for_an_admin(
    world: World,
) -> None:
    from bot.feeds.sources import SourceMode
    from tests.feeds.site import Page, Site, rss

    await world.run("subscribe", user=world.member, channel=world.general, manage=True)
    site = await Site().start()
    try:
        assert world.herald.feeds is not None
        feeds = world.herald.feeds
        site.pages["/rss"] = Page(rss(("urn:1", "Spring meeting", "<p>Room 101.</p>")))
        added = await feeds.add(site.url("/rss"), actor="cli:admin", mode=SourceMode.DRAFT)
        site.pages["/rss"] = Page(
            rss(("urn:2", "Summer picnic", "<p>In the park.</p>"),
                ("urn:1", "Spring meeting", "<p>Room 101.</p>"))
        )  # fmt: skip
        (draft,) = (await feeds.poll(added.source.id)).created
    finally:
        await site.close()
    (notice,) = world.fake.channel_messages(world.fake.dm_channel(world.admin).id)
    assert notice.button_ids() == [f"/publish {draft}"]
    delivery = world.herald.delivery
    assert delivery is not None

    # A member who can manage the server but is no Herald admin is refused.
    refused = await world.fake.reply_to(
        await world.fake.press(notice, f"/publish {draft}", user=world.member, admin=True)
    )
    assert "Only" in refused.content
    await delivery.run_until_idle(timeout=5)
    assert world.delivered(world.general) == []
    kept = await world.herald.services.announcements.get(draft)
    assert kept is not None
    assert kept.status.value == "draft"

    # The press updates the notice (its button goes); a client showing the old one may press
    # it again.
    stale = replace(notice, components=list(notice.components))
    await world.fake.answered(
        await world.fake.press(notice, f"/publish {draft}", user=world.admin)
    )
    await world.fake.wait_until(lambda: len(world.delivered(world.general)) == 1)
    await delivery.run_until_idle(timeout=5)
    (sent,) = world.delivered(world.general)
    assert sent.embeds[0]["title"].startswith("Summer picnic")

    # A second press broadcasts nothing more.
    await world.fake.answered(await world.fake.press(stale, f"/publish {draft}", user=world.admin))
    await delivery.run_until_idle(timeout=5)
    assert len(world.delivered(world.general)) == 1
