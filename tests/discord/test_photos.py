"""Photos on Discord through the real discord.py: the /post photo option, attachments and embeds."""

from __future__ import annotations

from dataclasses import replace

from adapters.discord.adapter import DiscordAdapter
from bot.domain import ChatKind
from bot.formatting import Photo
from bot.ports import MessageKind, OutboundMessage, Target
from tests.discord.conftest import RecordingCore
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.discord_payloads import FakeChannel, FakeUser
from tests.images import png

PHOTO = Photo(png(), "image/png", "meeting.png")
POST = OutboundMessage(MessageKind.ANNOUNCEMENT, "Meeting", "Room 101 at six.", photo=PHOTO)


def general(fake: FakeDiscord) -> tuple[FakeChannel, FakeUser]:
    guild = next(iter(fake.guilds.values()))
    return guild.channel("general"), guild.members[0]


async def test_photo_is_attached_and_shown_in_the_embed_through_edits(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    channel, _ = general(fake)
    target = Target(str(channel.id), ChatKind.GUILD_CHANNEL)
    ids = await adapter.send(target, POST, key="d1")
    (message,) = fake.channel_messages(channel.id)
    assert ids == [str(message.id)]
    (attachment,) = message.attachments
    assert attachment["filename"] == "meeting.png"
    assert fake.files.files[int(attachment["id"])][1] == PHOTO.data
    assert message.embeds[0]["image"]["url"] == "attachment://meeting.png"
    await adapter.edit(target, ids, replace(POST, body="Room 202 at seven."))
    assert message.edits == 1
    assert message.embeds[0]["description"] == "Room 202 at seven."
    assert message.embeds[0]["image"]["url"] == "attachment://meeting.png"
    assert message.attachments == [attachment]  # kept: the edit sent no attachments


async def test_post_option_reads_the_photo_before_the_form(
    adapter: DiscordAdapter, fake: FakeDiscord, core: RecordingCore
) -> None:
    channel, member = general(fake)
    attachment = fake.files.store("Founding day.png", png(), "image/png")
    opened = await fake.answered(
        await fake.slash(
            "post", user=member, channel=channel, admin=True, attachments={"photo": attachment}
        )
    )
    assert opened.modal()["title"] == "New announcement"
    assert fake.files.downloads == [int(attachment["id"])]
    submitted = await fake.submit_modal(opened, {"title": "T", "body": "B"}, user=member)
    await fake.reply_to(submitted)
    sent = core.seen[-1]
    assert sent.text == "/post T\nB"
    assert sent.photo is not None
    photo = await sent.photo.fetch()  # read before the form opened: no download here
    assert (photo.data, photo.file_name) == (png(), "Founding day.png")


async def test_photo_option_refused_to_non_admins_and_when_too_large(
    adapter: DiscordAdapter, fake: FakeDiscord, core: RecordingCore
) -> None:
    channel, member = general(fake)
    attachment = fake.files.store("p.png", png(), "image/png")
    refused = await fake.answered(
        await fake.slash("draft", user=member, channel=channel, attachments={"photo": attachment})
    )
    assert refused.callback_type == 4
    assert fake.files.downloads == []
    huge = {**attachment, "size": 10 * 1024 * 1024 + 1}
    too_big = await fake.answered(
        await fake.slash(
            "post", user=member, channel=channel, admin=True, attachments={"photo": huge}
        )
    )
    assert too_big.callback_type == 4
    assert fake.files.downloads == []
    texts = [i.callbacks[0]["data"]["content"] for i in (refused, too_big)]
    assert texts == [
        "This command is for admins.",
        "The photo is larger than 10 MB; send a smaller one.",
    ]
    assert not any(c.photo for c in core.seen)
