"""Photo posts end to end: the real core on SQLite, real PTB, the fake Bot API on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.telegram.render import utf16_len
from bot.commands.types import Command
from bot.domain import ChatKind
from bot.formatting import Photo
from tests.fakes.telegram_api import SentMessage
from tests.images import JPEG, png
from tests.telegram.world import ADMIN, World, running_world

CAPTION = "/post Liberation Day\nWe remember August 15, 1945 <with> & joy.\nTags: Korea"


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with running_world(tmp_path) as running:
        yield running


async def _photo_post(
    world: World, caption: str, data: bytes = JPEG, *, declared_size: int | None = None
) -> SentMessage:
    world.fake.send_photo(ADMIN, data, caption, declared_size=declared_size)
    return await world.fake.next_message(ADMIN)


async def test_admin_photo_with_caption_reaches_subscribers_as_a_photo(world: World) -> None:
    await world.say(10, "/subscribe")
    await world.say(11, "/subscribe")
    answer = await _photo_post(world, CAPTION)
    assert "Announcement #1 published; it goes to 2 chats." in answer.text
    assert "📷" in answer.text
    await world.settle()
    for chat in (10, 11):
        received = await world.fake.next_message(chat)
        assert received.kind == "photo"
        assert received.text.startswith("Liberation Day\n\nWe remember August 15, 1945 <with>")
        assert received.text.endswith("#Korea")
        assert world.fake.files.files[received.file_id or ""].data == JPEG
    # The admin's own file id is stored and reused: nothing was uploaded.
    assert world.fake.files.uploads == []
    stored = await world.scalar(
        "SELECT file_id FROM platform_file_ids WHERE platform = 'telegram'"
    )
    copies = [m for m in world.fake.sent_to(10) + world.fake.sent_to(11) if m.kind == "photo"]
    assert len(copies) == 2
    assert all(m.file_id == stored for m in copies)
    assert await world.scalar("SELECT data FROM announcement_photos") == JPEG
    shown = await world.say(12, "/show 1")
    assert "📷" in shown.text


async def test_long_text_replied_to_a_photo_goes_as_photo_then_text_parts(world: World) -> None:
    await world.say(10, "/subscribe")
    body = " ".join(["Friendship and peace between our peoples."] * 70)
    assert len(body) > 2900
    photo = world.fake.send_photo(ADMIN, JPEG)  # no caption: the text comes with the reply
    answer = await world.say(ADMIN, f"/post Long letter\n{body}", reply_to=photo["message_id"])
    assert "Announcement #1 published" in answer.text
    await world.settle()
    first = await world.fake.next_message(10)
    total = int(first.text.rsplit("/", 1)[1].rstrip(")"))
    assert total >= 3
    parts = [first] + [await world.fake.next_message(10) for _ in range(total - 1)]
    assert [p.kind for p in parts] == ["photo"] + ["text"] * (total - 1)
    assert all(utf16_len(p.text) <= 1024 for p in parts)
    assert parts[0].text.startswith("Long letter\n\nFriendship")
    assert parts[-1].text.endswith(f"({total}/{total})")


async def test_reply_post_to_a_photo_posts_its_caption(world: World) -> None:
    await world.say(10, "/subscribe")
    photo = world.fake.send_photo(ADMIN, JPEG, "Founding day\nThe society was founded in 1990.")
    answer = await world.say(ADMIN, "/post", reply_to=photo["message_id"])
    assert "Announcement #1 published" in answer.text
    await world.settle()
    received = await world.fake.next_message(10)
    assert received.kind == "photo"
    assert received.text == "Founding day\n\nThe society was founded in 1990."


async def test_non_admin_photo_post_refused_before_any_download(world: World) -> None:
    world.fake.send_photo(999, JPEG, CAPTION)
    answer = await world.fake.next_message(999)
    assert "Only Herald admins can use /post" in answer.text
    assert world.fake.calls("getFile") == []
    assert world.fake.files.downloads == []
    assert await world.scalar("SELECT count(*) FROM announcements") == 0
    assert await world.scalar("SELECT count(*) FROM announcement_photos") == 0


async def test_too_large_undownloadable_and_not_an_image_are_refused(world: World) -> None:
    big = await _photo_post(world, CAPTION, declared_size=11 * 1024 * 1024)
    assert "larger than 10 MB" in big.text
    assert world.fake.calls("getFile") == []
    world.fake.fail("getFile", "bad_request", description="Bad Request: invalid file_id")
    lost = await _photo_post(world, CAPTION)
    assert "could not download the photo" in lost.text
    text_file = await _photo_post(world, CAPTION, b"%PDF-1.7 not a photo at all")
    assert "not a photo" in text_file.text
    draft = await _photo_post(world, CAPTION.replace("/post", "/draft"))
    assert "Draft #1 saved" in draft.text
    assert await world.scalar("SELECT count(*) FROM announcements") == 1
    assert await world.scalar("SELECT count(*) FROM announcement_photos") == 1


async def test_refusals_speak_the_senders_language(world: World) -> None:
    world.fake.send_text(ADMIN, "/lang ru")
    await world.fake.next_message(ADMIN)
    answer = await _photo_post(world, CAPTION, b"not an image")
    assert "не фото" in answer.text


async def test_edit_and_retract_a_photo_post(world: World) -> None:
    await world.say(10, "/subscribe")
    await _photo_post(world, CAPTION)
    await world.settle()
    copy = await world.fake.next_message(10)
    edited = await world.say(ADMIN, "/edit 1 Liberation Day (corrected)\nNew text.")
    assert "edited" in edited.text
    await world.settle()
    assert copy.kind == "photo"
    assert copy.text.startswith("Liberation Day (corrected)\n\nNew text.")
    # Photo and caption in one editMessageMedia, by the file id the send taught (no upload).
    assert len(world.fake.calls("editMessageMedia")) == 1
    assert world.fake.files.uploads == []  # the admin's photo, sent and edited by its id
    assert await world.scalar("SELECT count(*) FROM announcement_photos") == 1  # kept
    assert "retracted" in (await world.say(ADMIN, "/delete 1")).text
    await world.settle()
    assert copy.deleted


async def test_a_photo_without_a_telegram_id_is_uploaded_once(world: World) -> None:
    for chat in (10, 11, 12, 13):
        await world.say(chat, "/subscribe")
    # As the shell posts: a photo Telegram has never seen, so no file id comes with it.
    command = Command(
        platform="telegram", chat_id=str(ADMIN), chat_kind=ChatKind.PRIVATE,
        user_id=str(ADMIN), text="/post From the shell\nWith a photo.",
        photo=Photo(png(), file_name="shell.png"),
    )
    reply = await world.herald.router.handle(command)
    assert reply is not None
    assert "goes to 4 chats" in reply.plain()
    await world.settle()
    copies = [m for chat in (10, 11, 12, 13) for m in world.fake.sent_to(chat) if m.kind == "photo"]
    assert len(copies) == 4
    assert len(world.fake.files.uploads) == 1
    assert {m.file_id for m in copies} == {world.fake.files.uploads[0]}


async def test_a_captions_formatting_reaches_the_copies(world: World) -> None:
    await world.say(10, "/subscribe")
    caption = "/post Meeting\nBring the flag, please."
    bold = {"type": "bold", "offset": caption.index("flag"), "length": 4}
    world.fake.send_photo(ADMIN, JPEG, caption, caption_entities=[bold])
    assert "published" in (await world.fake.next_message(ADMIN)).text
    await world.settle()
    copy = await world.fake.next_message(10)
    assert copy.text == "Meeting\n\nBring the flag, please."
    assert {"type": "bold", "offset": copy.text.index("flag"), "length": 4} in copy.entities
