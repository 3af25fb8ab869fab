"""End to end: a formatted message posted with a reply `/post` reaches subscribers formatted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from adapters.telegram.render import utf16_len
from tests.fakes.telegram_api import SentMessage
from tests.telegram.world import ADMIN, World, running_world

TITLE = "Liberation Day 🎉"
BODY = (
    "😀 We remember bold and italic 👍🏽 days.\n"
    "Read the site 🌍 for more.\n"
    "print('<&>')\n"
    "Literal: 1 < 2 & @everyone **not bold** <b>x</b>"
)
SOURCE = f"{TITLE}\n{BODY}\nTags: Korea"


def _u(text: str, part: str, after: int = 0) -> tuple[int, int]:
    """UTF-16 offset and length of `part` inside `text`."""
    start = text.index(part, after)
    return utf16_len(text[:start]), utf16_len(part)


def entity(kind: str, text: str, part: str, **extra: Any) -> dict[str, Any]:
    """What Telegram reports for `part` of `text` styled as `kind`."""
    offset, length = _u(text, part)
    return {"type": kind, "offset": offset, "length": length, **extra}


def body_entities(text: str) -> list[dict[str, Any]]:
    """The body's formatting inside `text` (the source message or the delivered copy)."""
    return [
        entity("bold", text, "bold and italic"),
        entity("italic", text, "italic"),
        entity("text_link", text, "the site 🌍", url="https://example.org/?a=1&b=2"),
        entity("pre", text, "print('<&>')", language="python"),
    ]


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with running_world(tmp_path) as running:
        yield running


def formatted_message(world: World, chat_id: int, text: str, entities: list[dict[str, Any]]
                      ) -> int:
    """A user's formatted message in a chat (not a command); returns its message id."""
    message = world.fake.text_message(chat_id, text)
    message["entities"] = entities
    world.fake.messages[chat_id][message["message_id"]].entities = entities
    world.fake.inject({"message": message})
    return int(message["message_id"])


def _piece(text: str, entity: dict[str, Any]) -> str:
    """The text an entity covers (its offsets count UTF-16 units)."""
    units = text.encode("utf-16-le")
    start, end = 2 * entity["offset"], 2 * (entity["offset"] + entity["length"])
    return units[start:end].decode("utf-16-le")


def _sorted(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"], e["type"]))


async def test_reply_post_keeps_bold_link_nesting_code_block_and_emoji(world: World) -> None:
    await world.say(10, "/subscribe")
    source_entities = [
        *body_entities(SOURCE),
        entity("bold", SOURCE, TITLE),  # the title is bold anyway
        entity("mention", SOURCE, "@everyone"),  # not a style
        entity("url", SOURCE, "the site"),  # not a style either
    ]
    original = formatted_message(world, ADMIN, SOURCE, source_entities)
    answer = await world.say(ADMIN, "/post", reply_to=original)
    assert "published; it goes to 1 chat." in answer.text
    await world.settle()
    copy = await world.fake.next_message(10)
    assert copy.text == f"{TITLE}\n\n{BODY}\n\n#Korea"
    assert _sorted(copy.entities) == _sorted(
        [entity("bold", copy.text, TITLE), *body_entities(copy.text)]
    )
    assert "&lt;b&gt;x&lt;/b&gt;" in copy.raw


async def test_post_with_formatting_in_the_command_itself(world: World) -> None:
    await world.say(10, "/subscribe")
    line = "/post@herald_test_bot Plain title\nSome *underlined* words"
    entities = [
        {"type": "bot_command", "offset": 0, "length": line.index(" ")},
        entity("underline", line, "underlined"),
        entity("bold", line, "Some"),
    ]
    formatted_message(world, ADMIN, line, entities)
    assert "published" in (await world.fake.next_message(ADMIN)).text
    await world.settle()
    copy = await world.fake.next_message(10)
    assert copy.text == "Plain title\n\nSome *underlined* words"
    assert _sorted(copy.entities) == _sorted(
        [
            entity("bold", copy.text, "Plain title"),
            entity("bold", copy.text, "Some"),
            entity("underline", copy.text, "underlined"),
        ]
    )


async def test_edit_replaces_the_formatting_of_sent_copies(world: World) -> None:
    await world.say(10, "/subscribe")
    original = formatted_message(world, ADMIN, SOURCE, body_entities(SOURCE))
    await world.say(ADMIN, "/post", reply_to=original)
    await world.settle()
    copy: SentMessage = await world.fake.next_message(10)
    assert len(copy.entities) == 5
    new_text = "Liberation Day\nNow only ~struck~ here"
    fixed = formatted_message(
        world, ADMIN, new_text, [entity("strikethrough", new_text, "struck")]
    )
    assert "edited" in (await world.say(ADMIN, "/edit 1", reply_to=fixed)).text
    await world.settle()
    assert copy.text.startswith("Liberation Day\n\nNow only ~struck~ here")
    assert _sorted(copy.entities) == _sorted(
        [
            entity("bold", copy.text, "Liberation Day"),
            entity("strikethrough", copy.text, "struck"),
        ]
    )
    assert "edited" in (await world.say(ADMIN, "/edit 1 Liberation Day\nplain at last")).text
    await world.settle()
    assert copy.entities == [entity("bold", copy.text, "Liberation Day")]
    assert await world.scalar("SELECT body_styles FROM announcements") is None


async def test_long_formatted_post_splits_into_valid_parts(world: World) -> None:
    await world.say(10, "/subscribe")
    paragraph = "Some bold words and a link 🌍 here.\n\n"
    body = paragraph * 250  # about 9,000 characters
    text = f"Long one\n{body}"
    entities = []
    for start in range(len("Long one\n"), len(text) - 1, len(paragraph)):
        bold = text.index("bold words", start)
        link = text.index("a link 🌍", start)
        entities.append({"type": "bold", "offset": utf16_len(text[:bold]), "length": 10})
        entities.append(
            {"type": "text_link", "offset": utf16_len(text[:link]), "length": 8,
             "url": "https://example.org"}
        )
    original = formatted_message(world, ADMIN, text, entities)
    await world.say(ADMIN, "/post", reply_to=original)
    await world.settle()
    await world.fake.wait_until(lambda: len(world.fake.sent_to(10)) >= 4)
    parts = [m for m in world.fake.sent_to(10) if m.text.startswith(("Long one", "Some bold"))]
    # 500 runs: Telegram would show only the first 100 entities of a message, so parts hold
    # at most 100 each (six parts) where the text alone would need three.
    assert len(parts) == 6
    assert parts[-1].text.endswith("(6/6)")
    for part in parts:
        assert utf16_len(part.text) <= 4096
        assert len(part.entities) <= 100
        for e in part.entities[1 if part is parts[0] else 0 :]:
            assert _piece(part.text, e) in {"bold words", "a link 🌍"}, e


async def test_show_displays_the_body_formatted(world: World) -> None:
    original = formatted_message(world, ADMIN, SOURCE, body_entities(SOURCE))
    await world.say(ADMIN, "/post", reply_to=original)
    shown = await world.say(20, "/show 1")
    assert BODY in shown.text
    kinds = {(e["type"], _piece(shown.text, e)) for e in shown.entities}
    # Replies cannot nest styles: bold and italic over "italic" show as bold; a code block as code.
    assert {("bold", TITLE), ("bold", "bold and italic"), ("code", "print('<&>')")} <= kinds
    link = next(e for e in shown.entities if e["type"] == "text_link")
    assert link["url"] == "https://example.org/?a=1&b=2"
