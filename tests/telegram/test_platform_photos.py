"""Photo posts through the Platform port over the fake Bot API: captions, parts, edits, file ids."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from telegram import Bot

from adapters.telegram.config import TelegramConfig
from adapters.telegram.platform import TelegramPlatform
from adapters.telegram.render import utf16_len
from adapters.telegram.transport import AiohttpRequest
from bot.domain import ChatKind
from bot.formatting import Photo
from bot.ports import BadMessage, MessageKind, MessageTooOld, OutboundMessage, Target
from storage.repository import Repository
from tests.fakes.telegram_api import FakeTelegram
from tests.images import png

USER = Target("42", ChatKind.PRIVATE)
OTHER = Target("43", ChatKind.PRIVATE)
PHOTO = Photo(png(), "image/png", "meeting.png")
SHORT = OutboundMessage(
    MessageKind.ANNOUNCEMENT, "Meeting <1>", "Room 101 & more", ("Events",), photo=PHOTO
)
LONG = replace(SHORT, body="\n\n".join("Paragraph of the long caption. " * 8 for _ in range(12)))


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def platform(fake: FakeTelegram) -> AsyncIterator[TelegramPlatform]:
    request = AiohttpRequest(read_timeout=2.0)
    async with Bot(fake.token, base_url=fake.base_url, request=request) as bot:
        yield TelegramPlatform(bot, TelegramConfig(token=fake.token))


async def test_short_text_is_the_caption_and_the_file_id_is_reused(
    fake: FakeTelegram, platform: TelegramPlatform
) -> None:
    ids = await platform.send(USER, SHORT, key="d1")
    (message,) = fake.sent_to(42)
    assert ids == [str(message.message_id)]
    assert message.kind == "photo"
    assert message.text == "Meeting <1>\n\nRoom 101 & more\n\n#Events"
    assert fake.files.files[message.file_id or ""].data == PHOTO.data
    assert len(fake.files.uploads) == 1
    await platform.send(OTHER, SHORT, key="d2")
    (second,) = fake.sent_to(43)
    assert len(fake.files.uploads) == 1  # sent by the id the first upload returned
    assert fake.calls("sendPhoto")[1]["photo"] == message.file_id
    assert second.file_id == message.file_id


async def test_a_stored_file_id_is_used_and_a_stale_one_falls_back_to_upload(
    fake: FakeTelegram, platform: TelegramPlatform, repo: Repository
) -> None:
    stored = TelegramPlatform(platform._bot, TelegramConfig(token=fake.token),
                              file_ids=repo.file_ids)
    known = fake.files.add(PHOTO.data)
    await repo.file_ids.put("telegram", _sha(PHOTO.data), known.file_id)
    await stored.send(USER, SHORT, key="d1")
    assert fake.files.uploads == []
    other = Photo(png(3, 3), "image/png", "x.png")
    await repo.file_ids.put("telegram", _sha(other.data), "no-such-id")
    await stored.send(OTHER, replace(SHORT, photo=other), key="d2")
    assert len(fake.files.uploads) == 1
    assert fake.sent_to(43)[0].kind == "photo"
    # The upload's id replaced the stale one in the store.
    assert await repo.file_ids.get("telegram", _sha(other.data)) == fake.sent_to(43)[0].file_id


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def test_long_caption_goes_as_photo_then_numbered_text_parts(
    fake: FakeTelegram, platform: TelegramPlatform
) -> None:
    assert utf16_len(LONG.body) > 2000
    ids = await platform.send(USER, LONG, key="d1")
    sent = fake.sent_to(42)
    assert [m.kind for m in sent] == ["photo"] + ["text"] * (len(sent) - 1)
    assert len(sent) >= 3
    assert all(utf16_len(m.text) <= 1024 for m in sent)
    total = len(sent)
    assert [m.text.rsplit("(", 1)[1] for m in sent] == [f"{i}/{total})" for i in
                                                        range(1, total + 1)]
    assert ids == [str(m.message_id) for m in sent]
    # Edited short: the photo's caption is edited (with the photo, by its file id), the text
    # parts are deleted.
    kept = await platform.edit(USER, ids, SHORT)
    assert kept == ids[:1]
    assert fake.sent_to(42)[0].text.startswith("Meeting <1>")
    assert len(fake.calls("editMessageMedia")) == 1
    assert len(fake.files.uploads) == 1
    assert [m.message_id for m in fake.sent_to(42)] == [int(ids[0])]
    # Edited long again: the caption changes, new text parts follow.
    grown = await platform.edit(USER, kept, LONG)
    assert len(grown) == total
    assert grown[0] == ids[0]
    await platform.delete(USER, grown)
    assert fake.sent_to(42) == []


async def test_retraction_of_an_old_photo_post_edits_its_caption(
    fake: FakeTelegram, platform: TelegramPlatform
) -> None:
    ids = await platform.send(USER, LONG, key="d1")
    for message_id in ids:
        fake.age_message(42, int(message_id), 49 * 3600)
    with pytest.raises(MessageTooOld):
        await platform.delete(USER, ids)
    notice = OutboundMessage(MessageKind.RETRACTION, "", "This announcement was withdrawn.")
    assert await platform.edit(USER, ids[:1], notice) == ids[:1]
    photo = fake.sent_to(42)[0]
    assert (photo.kind, photo.text) == ("photo", "This announcement was withdrawn.")


async def test_errors_are_mapped_and_half_sent_posts_are_undone(
    fake: FakeTelegram, platform: TelegramPlatform
) -> None:
    fake.fail("sendMessage", "bad_request", description="Bad Request: message is too long")
    with pytest.raises(BadMessage):
        await platform.send(USER, LONG, key="d1")
    assert fake.sent_to(42) == []  # the photo sent first was deleted again
    big = replace(SHORT, photo=Photo(b"\xff\xd8\xff" + b"\x00" * (10 * 1024 * 1024), "image/jpeg"))
    with pytest.raises(BadMessage, match="too big"):
        await platform.send(OTHER, big, key="d2")
