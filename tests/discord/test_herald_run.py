"""`herald run` with Discord (and Telegram): sync once per command set, serve, deliver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.settings import Settings
from tests.discord.support import Running, herald_run, migrated, watching_herald
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import FakeTelegram

TELEGRAM_TOKEN = "123456:TEST-token"
TELEGRAM_ADMIN = 1
TELEGRAM_READER = 42


@pytest.fixture
def running() -> Iterator[Running]:
    with watching_herald() as handler:
        yield handler


def settings_for(database_url: str, fake: FakeDiscord, **more: object) -> Settings:
    admin = next(iter(fake.guilds.values())).members[0]
    values: dict[str, object] = {
        "database_url": database_url,
        "admins": f"discord:{admin.id},telegram:{TELEGRAM_ADMIN}",
        "discord_token": fake.token,
        "discord_api_url": fake.api_url,
        "discord_gateway_url": fake.gateway_url,
        **more,
    }
    return Settings(**values)  # type: ignore[arg-type]  # pydantic coerces the str token


async def test_herald_run_serves_discord_and_syncs_only_on_change(
    fake: FakeDiscord, database_url: str, running: Running
) -> None:
    await migrated(database_url)
    guild = next(iter(fake.guilds.values()))
    admin, member = guild.members
    general = guild.channel("general")
    settings = settings_for(database_url, fake)
    async with herald_run(settings, running):
        assert fake.command_syncs == [None]
        subscribed = await fake.reply_to(
            await fake.slash("subscribe", user=member, channel=general, admin=True)
        )
        assert subscribed.content == "Subscribed to every announcement."
        opened = await fake.answered(await fake.slash("post", user=admin, channel=general))
        values = {"title": "From herald run", "body": "Delivered by the engine.", "tags": "Korea"}
        await fake.reply_to(await fake.submit_modal(opened, values, user=admin))
        await fake.wait_until(
            lambda: any(
                m.embeds and m.interaction_id is None for m in fake.channel_messages(general.id)
            )
        )
    async with herald_run(settings, running):
        assert len(fake.sessions) == 1
    assert fake.command_syncs == [None]


async def test_posts_cross_between_telegram_and_discord(
    fake: FakeDiscord, database_url: str, running: Running
) -> None:
    await migrated(database_url)
    guild = next(iter(fake.guilds.values()))
    admin, member = guild.members
    general = guild.channel("general")
    async with FakeTelegram(TELEGRAM_TOKEN) as telegram:
        settings = settings_for(
            database_url, fake, telegram_token=TELEGRAM_TOKEN, telegram_api_url=telegram.root
        )
        async with herald_run(settings, running):
            telegram.send_text(TELEGRAM_READER, "/subscribe")
            assert "every announcement" in (await telegram.next_message(TELEGRAM_READER)).text
            await fake.reply_to(
                await fake.slash("subscribe", user=member, channel=general, admin=True)
            )

            telegram.send_text(
                TELEGRAM_ADMIN, "/post Written on Telegram\nIt reaches Discord too.\nTags: Korea"
            )
            assert "published" in (await telegram.next_message(TELEGRAM_ADMIN)).text
            await fake.wait_until(
                lambda: any(
                    m.embeds and m.embeds[0].get("title") == "Written on Telegram"
                    for m in fake.channel_messages(general.id)
                ),
                seconds=10,
            )
            (copy,) = [m for m in fake.channel_messages(general.id) if m.embeds]
            assert copy.embeds[0]["description"] == "It reaches Discord too."

            opened = await fake.answered(await fake.slash("post", user=admin, channel=general))
            values = {"title": "Written on Discord", "body": "It reaches Telegram too."}
            await fake.reply_to(await fake.submit_modal(opened, values, user=admin))
            await telegram.wait_until(
                lambda: any(
                    "Written on Discord" in m.text for m in telegram.sent_to(TELEGRAM_READER)
                ),
                within=10,
            )
            (received,) = [
                m for m in telegram.sent_to(TELEGRAM_READER) if "Written on Discord" in m.text
            ]
            assert "It reaches Telegram too." in received.text
