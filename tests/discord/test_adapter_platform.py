"""The Platform port on Discord: embeds, nonces, crossposts, edits, deletes, errors, guilds."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import pytest

from adapters.discord.adapter import DiscordAdapter
from adapters.discord.platform import RequestPacer
from adapters.discord.redact import TokenRedactor
from bot.domain import ChatKind
from bot.ports import (
    BadMessage,
    MessageKind,
    OutboundMessage,
    RetryLater,
    Target,
    TargetGone,
    Transient,
)
from tests.discord.conftest import RecordingCore, config_for
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.discord_payloads import FakeChannel


def announcement(
    body: str = "We cordially congratulate you. @everyone", title: str = "Congratulations"
) -> OutboundMessage:
    return OutboundMessage(
        MessageKind.ANNOUNCEMENT,
        title,
        body,
        tags=("Friends of Korea", "DPRK"),
        published_at=datetime(2020, 8, 15, tzinfo=UTC),
    )


def channel(fake: FakeDiscord, name: str) -> FakeChannel:
    return next(iter(fake.guilds.values())).channel(name)


def target(ch: FakeChannel) -> Target:
    return Target(str(ch.id), ChatKind.GUILD_CHANNEL)


async def test_send_is_an_embed_without_pings(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    general = channel(fake, "general")
    ids = await adapter.send(target(general), announcement(), key="delivery-1")
    (message,) = fake.channel_messages(general.id)
    assert ids == [str(message.id)]
    (embed,) = message.embeds
    assert embed["title"] == "Congratulations"
    assert embed["description"] == "We cordially congratulate you. @everyone"
    assert embed["footer"]["text"] == "#Friends_of_Korea #DPRK"
    assert embed["timestamp"] == "2020-08-15T00:00:00+00:00"
    assert message.allowed_mentions == {"parse": []}
    assert message.nonce is not None
    assert len(message.nonce) <= 25
    assert not message.crossposted


async def test_resend_with_same_key_is_deduplicated(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    general = channel(fake, "general")
    first = await adapter.send(target(general), announcement(), key="delivery-7")
    again = await adapter.send(target(general), announcement(), key="delivery-7")
    other = await adapter.send(target(general), announcement(), key="delivery-8")
    assert first == again != other
    assert len(fake.channel_messages(general.id)) == 2


async def test_announcement_channel_crossposts(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    news = channel(fake, "news")
    ids = await adapter.send(target(news), announcement(), key="d-news")
    again = await adapter.send(target(news), announcement(), key="d-news")
    assert ids == again
    assert fake.messages[int(ids[0])].crossposted
    crossposts = [r for r in fake.requests if r[1].endswith("/crosspost")]
    assert len(crossposts) == 1


async def test_long_post_edit_and_delete(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    general = channel(fake, "general")
    body = "\n\n".join(f"Paragraph {i}. " + "word " * 300 for i in range(12))
    assert len(body) > 9000 * 2
    ids = await adapter.send(target(general), announcement(body), key="long")
    assert len(ids) >= 2
    messages = [fake.messages[int(i)] for i in ids]
    assert all(sum(len(e.get("description", "")) for e in m.embeds) <= 6000 for m in messages)
    text = "\n".join(m.text() for m in messages)
    positions = [text.index(f"Paragraph {i}.") for i in range(12)]
    assert positions == sorted(positions)
    short = await adapter.edit(target(general), ids, announcement("Now short."))
    assert short == ids[:1]
    assert fake.messages[int(ids[0])].embeds[0]["description"] == "Now short."
    assert all(fake.messages[int(i)].deleted for i in ids[1:])
    longer = await adapter.edit(target(general), short, announcement(body))
    assert longer[0] == ids[0]
    assert len(longer) == len(ids)
    await adapter.delete(target(general), longer)
    assert fake.channel_messages(general.id) == []
    await adapter.delete(target(general), longer)  # already gone: not an error


async def test_dm_target(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    member = next(iter(fake.guilds.values())).members[0]
    dm = fake.dm_channel(member)
    ids = await adapter.send(Target(str(dm.id), ChatKind.DM), announcement(), key="dm-1")
    assert fake.messages[int(ids[0])].channel_id == dm.id


async def test_errors_are_mapped(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    general = channel(fake, "general")
    general.forbidden = True
    with pytest.raises(TargetGone, match="50001"):
        await adapter.send(target(general), announcement(), key="e1")
    general.forbidden = False
    fake.fail(429, path="/messages", retry_after=45.0)
    with pytest.raises(RetryLater) as later:
        await adapter.send(target(general), announcement(), key="e2")
    assert later.value.seconds == 45.0
    fake.fail(400, path="/messages")
    with pytest.raises(BadMessage):
        await adapter.send(target(general), announcement(), key="e3")
    fake.fail(503, path="/messages")
    with pytest.raises(Transient):
        await adapter.send(target(general), announcement(), key="e4")
    adapter.request_timeout = 0.2
    fake.fail(200, path="/messages", delay=0.5)
    with pytest.raises(Transient):
        await adapter.send(target(general), announcement(), key="e5")
    general.deleted = True
    with pytest.raises(TargetGone, match="10003"):
        await adapter.send(target(general), announcement(), key="e6")
    with pytest.raises(TargetGone):
        await adapter.send(Target("not-a-number", ChatKind.GUILD_CHANNEL), announcement(), key="x")


async def test_short_429_is_retried_by_discord_py(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    general = channel(fake, "general")
    fake.fail(429, path="/messages", retry_after=0.05)
    ids = await adapter.send(target(general), announcement(), key="r1")
    assert fake.rate_limited == 1
    assert len(ids) == 1


async def test_edit_of_a_vanished_message_is_a_bad_message(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    general = channel(fake, "general")
    ids = await adapter.send(target(general), announcement(), key="v1")
    fake.messages[int(ids[0])].deleted = True
    with pytest.raises(BadMessage):
        await adapter.edit(target(general), ids, announcement("new"))


async def test_guild_outage_keeps_chats_and_removal_deactivates(
    adapter: DiscordAdapter, fake: FakeDiscord, core: RecordingCore
) -> None:
    guild = next(iter(fake.guilds.values()))
    assert adapter.guild_channels[guild.id] == {c.id for c in guild.channels}
    client = adapter.client
    assert client is not None
    outage = asyncio.create_task(client.wait_for("guild_unavailable", timeout=5))
    await fake.remove_guild(guild, unavailable=True)
    assert (await outage).id == guild.id
    assert core.left == []
    await fake.remove_guild(guild, unavailable=False)
    await core.wait_until(lambda: len(core.left) == 2)
    assert {chat.external_id for chat, _ in core.left} == {str(c.id) for c in guild.channels}
    assert all(reason == "removed from the server" for _, reason in core.left)


async def test_token_never_logged(
    caplog: pytest.LogCaptureFixture, fake: FakeDiscord, core: RecordingCore
) -> None:
    config = config_for(fake)
    adapter = DiscordAdapter(core, config, state=core.state)
    assert fake.token not in repr(config)
    assert fake.token not in repr(adapter)
    log = logging.getLogger("anything.at.all")
    with caplog.at_level(logging.INFO):
        log.info("connecting with %s", fake.token)
        try:
            raise RuntimeError(f"bad token {fake.token}")
        except RuntimeError:
            log.exception("failed")
    assert "connecting with [redacted]" in caplog.text
    assert fake.token not in caplog.text
    assert all(fake.token not in r.getMessage() for r in caplog.records)
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token=%s", (fake.token,), None)
    assert TokenRedactor().filter(record)
    assert record.getMessage() == "token=[redacted]"


@pytest.mark.parametrize("broken", ["rest", "gateway"])
async def test_unreachable_discord_does_not_crash_herald(
    caplog: pytest.LogCaptureFixture,
    fake: FakeDiscord,
    seams: FakeDiscord,
    core: RecordingCore,
    broken: str,
) -> None:
    dead = "127.0.0.1:9"
    if broken == "rest":
        config = config_for(fake, api_url=f"http://{dead}/api/v10", start_timeout=20)
    else:
        config = config_for(fake, gateway_url=f"ws://{dead}/ws", start_timeout=20)
    adapter = DiscordAdapter(core, config, state=core.state)
    loop = asyncio.get_running_loop()
    with caplog.at_level(logging.DEBUG, logger="discord"), caplog.at_level(logging.INFO):
        started = loop.time()
        await adapter.start()
        # Herald is not held up by an unreachable Discord: start() returns at the first failure.
        assert loop.time() - started < 5
        await adapter.stop()
    assert not adapter.ready.is_set()
    shown = [r for r in caplog.records if r.levelno >= logging.INFO]
    unreachable = [r for r in shown if "unreachable" in r.getMessage()]
    assert len(unreachable) == 1
    assert dead in unreachable[0].getMessage()
    assert all(r.exc_info is None for r in shown)
    assert not [r for r in shown if "PyNaCl" in r.getMessage()]
    assert fake.token not in caplog.text
    with pytest.raises(Transient):
        await adapter.send(Target("1", ChatKind.GUILD_CHANNEL), announcement(), key="k")


async def test_crosspost_decided_even_before_the_guild_is_cached(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    news = channel(fake, "news")
    late = fake.add_guild("Late", channels=[("late-news", 5)])
    late_news = late.channel("late-news")
    ids = await adapter.send(target(late_news), announcement(), key="late-1")
    await adapter.send(target(late_news), announcement(), key="late-2")
    assert fake.messages[int(ids[0])].crossposted
    lookups = [r for r in fake.requests if r[:2] == ("GET", f"/channels/{late_news.id}")]
    assert len(lookups) == 1
    assert not [r for r in fake.requests if r[:2] == ("GET", f"/channels/{news.id}")]


async def test_pacer_spaces_requests() -> None:
    pacer = RequestPacer(200.0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.gather(*(pacer.wait() for _ in range(21)))
    assert loop.time() - started >= 0.099


async def test_bucket_headers_are_obeyed_without_429(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    general = channel(fake, "general")
    fake.bucket_limit, fake.bucket_window, fake.enforce_buckets = 4, 0.1, True
    sent = await asyncio.gather(
        *(adapter.send(target(general), announcement(), key=f"b{i}") for i in range(16))
    )
    assert len({ids[0] for ids in sent}) == 16
    assert fake.rate_limited == 0


async def test_channel_deleted_event_deactivates_it(
    adapter: DiscordAdapter, fake: FakeDiscord, core: RecordingCore
) -> None:
    news = channel(fake, "news")
    await fake.delete_channel(news)
    await core.wait_until(lambda: bool(core.left))
    ((chat, reason),) = core.left
    assert chat.external_id == str(news.id)
    assert reason == "channel deleted"
    guild = next(iter(fake.guilds.values()))
    assert news.id not in adapter.guild_channels[guild.id]
