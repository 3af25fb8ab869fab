"""End to end on Discord: markdown typed in the post form is stored neutrally and comes back."""

from __future__ import annotations

from sqlalchemy import text

from adapters.discord.markdown_parse import parse_markdown
from bot.formatting import Style, styles_from_json
from tests.discord.test_e2e import World, world

__all__ = ["world"]  # the fixture, shared with the other end-to-end tests

BODY = (
    "**Big** news: *very* __real__ ~~old~~ ||secret|| `x = 1` [site](https://example.org)\n"
    "Literal: 1 < 2 & @everyone \\*\\*not bold\\*\\*"
)
PLAIN = (
    "Big news: very real old secret x = 1 site\n"
    "Literal: 1 < 2 & @everyone **not bold**"
)


async def _stored(world: World) -> tuple[str, str | None]:
    async with world.herald.repository.sessions() as db:
        row = (await db.execute(text("SELECT body, body_styles FROM announcements"))).one()
        return str(row[0]), row[1]


async def test_modal_markdown_is_stored_as_runs_and_delivered_formatted(world: World) -> None:
    await world.run("subscribe", user=world.member, channel=world.general, manage=True)
    done = await world.modal(
        "post", {"title": "Liberation Day", "body": BODY, "tags": "Korea"}, user=world.admin
    )
    assert "published" in done.content
    body, styles = await _stored(world)
    assert body == PLAIN
    found = {(run.style, body[run.start : run.end]) for run in styles_from_json(styles)}
    assert found == {
        (Style.BOLD, "Big"), (Style.ITALIC, "very"), (Style.UNDERLINE, "real"),
        (Style.STRIKE, "old"), (Style.SPOILER, "secret"), (Style.CODE, "x = 1"),
        (Style.LINK, "site"),
    }
    await world.fake.wait_until(lambda: len(world.delivered(world.general)) == 1)
    (message,) = world.delivered(world.general)
    (embed,) = message.embeds
    assert embed["description"] == (
        "**Big** news: *very* __real__ ~~old~~ ||secret|| `x = 1` "
        "[site](<https://example.org>)\nLiteral: 1 < 2 & @everyone \\*\\*not bold\\*\\*"
    )
    assert parse_markdown(embed["description"])[0] == PLAIN
    assert message.allowed_mentions == {"parse": []}


async def test_edit_from_the_modal_replaces_the_formatting(world: World) -> None:
    await world.run("subscribe", user=world.member, channel=world.general, manage=True)
    await world.modal("post", {"title": "T", "body": "**bold** text"}, user=world.admin)
    await world.fake.wait_until(lambda: len(world.delivered(world.general)) == 1)
    opened = await world.fake.answered(
        await world.fake.slash("edit", {"id": 1}, user=world.admin, channel=world.general)
    )
    values = {"title": "T", "body": "plain *now*"}
    await world.fake.reply_to(await world.fake.submit_modal(opened, values, user=world.admin))
    await world.fake.wait_until(
        lambda: world.delivered(world.general)[0].embeds[0]["description"] == "plain *now*"
    )
    body, styles = await _stored(world)
    assert body == "plain now"
    assert [run.style for run in styles_from_json(styles)] == [Style.ITALIC]
