"""A graceful stop on Discord: the gateway goes first, answers and sends in flight still finish."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from adapters.discord.adapter import DiscordAdapter
from bot.app import open_herald
from bot.domain import ChatKind
from bot.ports import MessageKind, OutboundMessage, Target
from bot.settings import Settings
from tests.discord.conftest import RecordingCore
from tests.discord.support import Running, herald_run, migrated, watching_herald
from tests.fakes.discord_api import FakeDiscord


@pytest.fixture
def running() -> Iterator[Running]:
    with watching_herald() as handler:
        yield handler


async def test_stop_receiving_closes_the_gateway_yet_answers_and_sends(
    adapter: DiscordAdapter, fake: FakeDiscord, core: RecordingCore
) -> None:
    guild = next(iter(fake.guilds.values()))
    general, member = guild.channel("general"), guild.members[0]
    core.delay = 0.3
    in_flight = await fake.slash("tags", user=member, channel=general)
    await core.wait_until(lambda: len(core.seen) == 1)
    connections = len(fake.gateway_queries)
    await adapter.stop_receiving()
    # Closed by the client, cleanly: Discord ends the session instead of keeping it to resume.
    await fake.wait_until(lambda: not fake.sessions, 2.0)
    assert [code for _, code, _ in fake.gateway_closes] == [1000]
    unheard = await fake.slash("help", user=member, channel=general)
    answer = await fake.reply_to(in_flight)
    assert answer.content == "ok: /tags"
    target = Target(str(general.id), ChatKind.GUILD_CHANNEL)
    after = OutboundMessage(MessageKind.ANNOUNCEMENT, "After", "Still.")
    ids = await adapter.send(target, after, key="after-stop")
    assert fake.messages[int(ids[0])].embeds[0]["title"] == "After"
    # Nothing reconnected meanwhile, and the command sent after the close never arrived.
    assert len(fake.gateway_queries) == connections
    assert fake.sessions == []
    assert [c.text for c in core.seen] == ["/tags"]
    assert not unheard.answered


async def test_stop_waits_for_an_answer_being_given(
    adapter: DiscordAdapter, fake: FakeDiscord, core: RecordingCore
) -> None:
    guild = next(iter(fake.guilds.values()))
    general, member = guild.channel("general"), guild.members[0]
    core.delay = 0.7  # deferred after 0.5 s, then answered
    slow = await fake.slash("latest", user=member, channel=general)
    await core.wait_until(lambda: len(core.seen) == 1)
    await adapter.stop()
    message = fake.messages[slow.original_id or 0]
    assert message.content == "ok: /latest"


async def test_herald_stop_closes_the_gateway_before_the_send_in_flight_ends(
    fake: FakeDiscord, database_url: str, running: Running, caplog: pytest.LogCaptureFixture
) -> None:
    await migrated(database_url)
    guild = next(iter(fake.guilds.values()))
    admin, member = guild.members
    general = guild.channel("general")
    settings = Settings(
        database_url=database_url,
        admins=f"discord:{admin.id}",
        discord_token=fake.token,
        discord_api_url=fake.api_url,
        discord_gateway_url=fake.gateway_url,
    )
    with caplog.at_level(logging.INFO):
        async with herald_run(settings, running):
            await fake.reply_to(
                await fake.slash("subscribe", user=member, channel=general, admin=True)
            )
            # The announcement's send is accepted at once but answered a second later.
            fake.fail(200, method="POST", path=rf"^/channels/{general.id}/messages$", delay=1.0)
            opened = await fake.answered(await fake.slash("post", user=admin, channel=general))
            values = {"title": "Last words", "body": "Sent while Herald stops."}
            await fake.reply_to(await fake.submit_modal(opened, values, user=admin))
            await fake.wait_until(
                lambda: any(m.interaction_id is None for m in fake.channel_messages(general.id))
            )
        # Leaving the block stops Herald (as SIGTERM does): close() ran to the end.
    (closed_at,) = [at for _, code, at in fake.gateway_closes if code == 1000]
    (answered_at,) = fake.late_answers
    assert closed_at < answered_at
    assert "gateway closed; no new commands are taken" in caplog.text
    herald = await open_herald(Settings(database_url=database_url))
    try:
        async with herald.repository.sessions() as db:
            states = (await db.execute(text("SELECT state FROM deliveries"))).scalars().all()
    finally:
        await herald.close()
    assert [str(s) for s in states] == ["sent"]
