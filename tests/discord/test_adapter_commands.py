"""Slash commands, buttons, autocomplete and modals through the real discord.py client."""

from __future__ import annotations

import asyncio
import logging

import pytest

from adapters.discord.adapter import HASH_KEY, DiscordAdapter
from bot.domain import ChatKind
from tests.discord.conftest import RecordingCore, config_for
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.discord_payloads import (
    EMBED_LINKS,
    JSON,
    LOADING,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    FakeChannel,
    FakeGuild,
    FakeUser,
)


def society(fake: FakeDiscord) -> tuple[FakeGuild, FakeChannel, FakeUser]:
    guild = next(iter(fake.guilds.values()))
    return guild, guild.channel("general"), guild.members[0]


async def test_start_syncs_commands_once_per_command_set(
    adapter: DiscordAdapter, fake: FakeDiscord, core: RecordingCore
) -> None:
    assert fake.command_syncs == [None]
    names = {c["name"] for c in fake.commands[None]}
    assert {"subscribe", "tag", "post", "edit", "anniversary", "stats", "admin"} <= names
    tags = next(c for c in fake.commands[None] if c["name"] == "tags")
    assert tags["description_localizations"] == {"ru": "Все теги"}
    assert HASH_KEY in core.state
    assert await adapter.maybe_sync_commands() is False
    assert await adapter.sync_commands() == len(names)
    assert fake.command_syncs == [None, None]


async def test_restart_with_same_commands_does_not_sync(
    fake: FakeDiscord, core: RecordingCore, adapter: DiscordAdapter
) -> None:
    again = DiscordAdapter(core, config_for(fake), state=core.state)
    await again.start()
    await again.stop()
    assert fake.command_syncs == [None]


async def test_slash_command_becomes_core_command(
    adapter: DiscordAdapter, fake: FakeDiscord, core: RecordingCore
) -> None:
    guild, general, member = society(fake)
    interaction = await fake.slash(
        "tag", {"name": "Friends of Korea", "page": 2}, user=member, channel=general, locale="ru"
    )
    message = await fake.reply_to(interaction)
    (command,) = core.seen
    assert command.text == "/tag Friends of Korea 2"
    assert command.platform == "discord"
    assert command.chat_id == str(general.id)
    assert command.chat_kind is ChatKind.GUILD_CHANNEL
    assert command.user_id == str(member.id)
    assert command.is_chat_admin is False
    assert command.language_hint == "ru"
    assert command.chat_title == f"{guild.name} #general"
    assert message.content == "**Friends of Korea, page 2**"
    assert message.button_ids() == ["/tag Friends of Korea 3"]
    assert not message.ephemeral
    assert interaction.callback_times[0] < 3


async def test_admin_flag_dm_and_subcommands(
    adapter: DiscordAdapter, fake: FakeDiscord, core: RecordingCore
) -> None:
    _, general, member = society(fake)
    await fake.reply_to(
        await fake.slash(
            "subscribe", {"tags": "DPRK, Korea"}, user=member, channel=general, admin=True
        )
    )
    dm = fake.dm_channel(member)
    await fake.reply_to(await fake.slash("subscribe", user=member, channel=dm))
    await fake.reply_to(
        await fake.slash(
            "anniversary",
            {"date": "1945-08-15", "title": "Liberation", "tags": "Korea, Friends of Korea"},
            subcommand="add",
            user=member,
            channel=dm,
        )
    )
    first, second, third = core.seen
    assert (first.text, first.is_chat_admin) == ("/subscribe DPRK, Korea", True)
    assert (second.text, second.chat_kind, second.chat_id) == (
        "/subscribe",
        ChatKind.DM,
        str(dm.id),
    )
    assert second.is_chat_admin is True
    assert third.text == "/anniversary add 1945-08-15 Liberation #Korea #Friends_of_Korea"


async def test_personal_answers_and_refusals_are_ephemeral(
    adapter: DiscordAdapter, fake: FakeDiscord, core: RecordingCore
) -> None:
    _, general, member = society(fake)
    mine = await fake.reply_to(await fake.slash("subscriptions", user=member, channel=general))
    refused = await fake.reply_to(
        await fake.slash("publish", {"id": 3}, user=member, channel=general)
    )
    assert mine.ephemeral
    assert refused.ephemeral
    assert refused.content == "This command is for admins."


async def test_paging_button_edits_the_message_in_place(
    adapter: DiscordAdapter, fake: FakeDiscord, core: RecordingCore
) -> None:
    _, general, member = society(fake)
    first = await fake.reply_to(
        await fake.slash("tag", {"name": "DPRK"}, user=member, channel=general)
    )
    press = await fake.answered(await fake.press(first, "/tag DPRK 2", user=member))
    assert press.callback_type == 7
    assert first.content == "**DPRK, page 2**"
    assert first.button_ids() == ["/tag DPRK 3"]
    assert core.seen[-1].text == "/tag DPRK 2"
    assert core.seen[-1].from_button is True
    assert len(fake.channel_messages(general.id)) == 1


async def test_autocomplete_offers_core_tags(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    _, general, member = society(fake)
    single = await fake.answered(
        await fake.autocomplete("tag", "name", "fri", user=member, channel=general)
    )
    listed = await fake.answered(
        await fake.autocomplete("subscribe", "tags", "DPRK, ko", user=member, channel=general)
    )
    assert single.callback_type == 8
    assert [c["value"] for c in single.choices()] == ["Friends of Korea", "Friends of Russia"]
    assert [c["value"] for c in listed.choices()] == ["DPRK, Korea"]


async def test_post_through_the_modal(
    adapter: DiscordAdapter, fake: FakeDiscord, core: RecordingCore
) -> None:
    _, general, member = society(fake)
    opened = await fake.answered(await fake.slash("post", user=member, channel=general, admin=True))
    assert opened.modal()["title"] == "New announcement"
    submitted = await fake.submit_modal(
        opened,
        {
            "title": "Congratulations",
            "body": "We cordially congratulate you.",
            "tags": "Korea, DPRK",
        },
        user=member,
    )
    reply = await fake.reply_to(submitted)
    assert (
        core.seen[-1].text
        == "/post Congratulations\nWe cordially congratulate you.\nTags: Korea, DPRK"
    )
    assert reply.content.startswith("ok: /post Congratulations")


async def test_edit_modal_carries_the_id(
    adapter: DiscordAdapter, fake: FakeDiscord, core: RecordingCore
) -> None:
    _, general, member = society(fake)
    opened = await fake.answered(
        await fake.slash("edit", {"id": 12}, user=member, channel=general, admin=True)
    )
    assert opened.modal()["title"] == "Edit announcement #12"
    await fake.reply_to(await fake.submit_modal(opened, {"title": "T", "body": "B"}, user=member))
    assert core.seen[-1].text == "/edit 12\nT\nB"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"title": "", "body": "text"}, "The title is empty (1–256 characters)."),
        ({"title": "t" * 300, "body": "text"}, "The title is 300 characters long; at most 256."),
        ({"title": "T", "body": "  "}, "The text is empty (1–4000 characters)."),
        ({"title": "T", "body": "b" * 4001}, "The text is 4001 characters long; at most 4000."),
    ],
)
async def test_modal_rejects_bad_fields_with_the_limit(
    adapter: DiscordAdapter,
    fake: FakeDiscord,
    core: RecordingCore,
    values: dict[str, str],
    expected: str,
) -> None:
    _, general, member = society(fake)
    opened = await fake.answered(await fake.slash("post", user=member, channel=general, admin=True))
    reply = await fake.reply_to(await fake.submit_modal(opened, values, user=member))
    assert reply.ephemeral
    assert reply.content == expected
    assert core.seen == []


def modal_labels(modal: JSON) -> list[str]:
    """Each text input's label, in the older row layout or the newer label component."""
    return [
        top["components"][0]["label"] if top["type"] == 1 else top["label"]
        for top in modal["components"]
    ]


async def test_russian_user_gets_the_form_and_its_checks_in_russian(
    adapter: DiscordAdapter, fake: FakeDiscord, core: RecordingCore
) -> None:
    _, general, member = society(fake)
    opened = await fake.answered(
        await fake.slash("post", user=member, channel=general, admin=True, locale="ru")
    )
    assert opened.modal()["title"] == "Новое объявление"
    assert modal_labels(opened.modal()) == ["Заголовок", "Текст", "Теги (через запятую)"]
    bad = {"title": "", "body": "b" * 4001}
    reply = await fake.reply_to(await fake.submit_modal(opened, bad, user=member))
    assert reply.ephemeral
    assert reply.content == (
        "Заголовок пустой (нужно от 1 до 256 симв.).\n"
        "Текст слишком длинный: 4001 симв., допустимо не больше 4000."
    )
    assert core.seen == []
    korean = await fake.answered(
        await fake.slash("edit", {"id": 7}, user=member, channel=general, admin=True, locale="ko")
    )
    assert korean.modal()["title"] == "#7 공지 수정"


async def test_slow_core_is_deferred_then_answered(
    adapter: DiscordAdapter, fake: FakeDiscord, core: RecordingCore
) -> None:
    _, general, member = society(fake)
    core.delay = 0.8  # the adapter under test defers after 0.5 s
    public = await fake.slash("latest", {"count": 3}, user=member, channel=general)
    message = await fake.reply_to(public)
    assert public.callback_type == 5
    assert public.callback_times[0] < 3
    assert message.content == "ok: /latest 1 3"
    assert not message.flags & LOADING
    refused = await fake.slash("delete", {"id": 4}, user=member, channel=general)
    await fake.wait_until(lambda: bool(refused.followup_ids))
    placeholder = fake.messages[refused.original_id or 0]
    followup = fake.messages[refused.followup_ids[0]]
    assert placeholder.deleted
    assert followup.ephemeral
    assert followup.content == "This command is for admins."


async def test_core_failure_is_answered_not_left_hanging(
    adapter: DiscordAdapter,
    fake: FakeDiscord,
    core: RecordingCore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, general, member = society(fake)

    async def broken(_: object) -> None:
        raise RuntimeError("database is down")

    core.handle = broken  # type: ignore[method-assign, assignment]  # simulate a failing core
    with caplog.at_level(logging.ERROR):
        reply = await fake.reply_to(await fake.slash("tags", user=member, channel=general))
    assert reply.ephemeral
    assert "try again" in reply.content
    assert "core failed" in caplog.text


async def test_apology_and_refusal_follow_the_users_locale(
    adapter: DiscordAdapter,
    fake: FakeDiscord,
    core: RecordingCore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, general, member = society(fake)
    general.bot_permissions = VIEW_CHANNEL
    refused = await fake.reply_to(
        await fake.slash("subscribe", user=member, channel=general, admin=True, locale="ru")
    )
    assert refused.content == (
        "Я не могу публиковать здесь объявления: в этом канале мне нужны права "
        "Отправлять сообщения, Встраивать ссылки. Выдайте мне эти права и снова выполните "
        "/subscribe."
    )

    async def broken(_: object) -> None:
        raise RuntimeError("database is down")

    core.handle = broken  # type: ignore[method-assign, assignment]  # simulate a failing core
    with caplog.at_level(logging.ERROR):
        russian = await fake.reply_to(
            await fake.slash("tags", user=member, channel=general, locale="ru")
        )
        german = await fake.reply_to(
            await fake.slash("tags", user=member, channel=general, locale="de")
        )
    assert russian.ephemeral
    assert russian.content == "Что-то пошло не так; пожалуйста, попробуйте позже."
    assert german.content == "Something went wrong; please try again later."


async def test_option_and_subcommand_descriptions_are_translated(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    synced = {c["name"]: c for c in fake.commands[None]}
    page = next(o for o in synced["tag"]["options"] if o["name"] == "page")
    assert page["description"] == "Page number"
    assert page["description_localizations"] == {"ru": "Номер страницы", "ko": "페이지 번호"}
    add = next(o for o in synced["anniversary"]["options"] if o["name"] == "add")
    assert add["description_localizations"] == {"ru": "Добавить памятную дату", "ko": "기념일 추가"}
    date = next(o for o in synced["schedule"]["options"] if o["name"] == "date")
    assert not date.get("description_localizations")  # "YYYY-MM-DD" stays as it is


async def test_gateway_drop_is_resumed(
    adapter: DiscordAdapter, fake: FakeDiscord, core: RecordingCore
) -> None:
    _, general, member = society(fake)
    session_id = fake.sessions[0].session_id
    await fake.drop_gateway(4000)
    await fake.wait_until(lambda: bool(fake.resumes) and bool(fake.sessions))
    assert fake.resumes[0]["session_id"] == session_id
    assert fake.resumes[0]["token"] == fake.token
    reply = await fake.reply_to(await fake.slash("tags", user=member, channel=general))
    assert reply.content == "ok: /tags"


async def test_late_ready_still_syncs_and_cli_sync_needs_no_gateway(
    fake: FakeDiscord, core: RecordingCore, seams: FakeDiscord
) -> None:
    fake.latency = 0.2
    late = DiscordAdapter(core, config_for(fake, start_timeout=0.05), state=core.state)
    await late.start()
    assert not late.ready.is_set()
    fake.latency = 0.0
    await fake.wait_until(lambda: fake.command_syncs == [None])
    await late.stop()
    offline = DiscordAdapter(core, config_for(fake), state=core.state)
    assert await offline.sync_commands() == len(fake.commands[None])
    assert fake.command_syncs == [None, None]
    assert not fake.sessions


async def test_core_failure_after_deferring_replaces_the_placeholder(
    adapter: DiscordAdapter, fake: FakeDiscord, core: RecordingCore
) -> None:
    _, general, member = society(fake)

    async def slow_then_broken(_: object) -> None:
        await asyncio.sleep(0.7)
        raise RuntimeError("database is down")

    core.handle = slow_then_broken  # type: ignore[method-assign, assignment]  # a failing core
    interaction = await fake.slash("latest", user=member, channel=general)
    reply = await fake.reply_to(interaction)
    assert interaction.callback_type == 5
    assert "try again" in reply.content


COMMAND_LINES: list[tuple[str, dict[str, object], str | None, str]] = [
    ("start", {}, None, "/start"),
    ("help", {}, None, "/help"),
    ("subscribe", {}, None, "/subscribe"),
    ("unsubscribe", {"tags": "Korea"}, None, "/unsubscribe Korea"),
    ("subscriptions", {}, None, "/subscriptions"),
    ("latest", {}, None, "/latest"),
    ("latest", {"count": 10}, None, "/latest 1 10"),
    ("latest", {"page": 10}, None, "/latest 10"),
    ("latest", {"count": 3, "page": 2}, None, "/latest 2 3"),
    ("tag", {"name": "DPRK"}, None, "/tag DPRK"),
    ("tag", {"name": "Class of 2025"}, None, "/tag Class of 2025 1"),
    ("tag", {"name": "Class of 2025", "page": 2}, None, "/tag Class of 2025 2"),
    ("tags", {}, None, "/tags"),
    ("tags", {"page": 3}, None, "/tags 3"),
    ("search", {"words": "friendship Moscow"}, None, "/search friendship Moscow"),
    ("show", {"id": 7}, None, "/show 7"),
    ("anniversaries", {}, None, "/anniversaries"),
    ("lang", {"language": "ko"}, None, "/lang ko"),
    ("publish", {"id": 7}, None, "/publish 7"),
    (
        "schedule",
        {"id": 7, "date": "2026-08-15", "time": "09:00"},
        None,
        "/schedule 7 2026-08-15 09:00",
    ),
    ("delete", {"id": 7}, None, "/delete 7"),
    ("stats", {}, None, "/stats"),
    ("stats", {"id": 7}, None, "/stats 7"),
    ("anniversary", {}, "list", "/anniversary list"),
    ("anniversary", {"id": 2}, "remove", "/anniversary remove 2"),
    ("anniversary", {"date": "--02-29", "title": "Leap"}, "add", "/anniversary add --02-29 Leap"),
    (
        "anniversary",
        {"date": "1945-08-15", "title": "10:30 train", "time": "09:00"},
        "add",
        "/anniversary add 1945-08-15 09:00 10:30 train",
    ),
    ("admin", {"who": "telegram:5"}, "add", "/admin add telegram:5"),
    ("admin", {"who": "discord:6"}, "remove", "/admin remove discord:6"),
    ("feed", {"url": "https://s.example/rss"}, "add", "/feed add https://s.example/rss"),
    ("feed", {}, "list", "/feed list"),
    ("feed", {"id": 2}, "resume", "/feed resume 2"),
    ("feed", {"id": 3}, "remove", "/feed remove 3"),
    ("feed", {"id": 5}, "poll", "/feed poll 5"),
]


async def test_numbers_are_bounded_where_they_are_declared(
    adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    synced = {c["name"]: c for c in fake.commands[None]}

    def bounds(command: str, name: str) -> tuple[object, object]:
        found = next(o for o in synced[command]["options"] if o["name"] == name)
        return found.get("min_value"), found.get("max_value")

    assert bounds("latest", "count") == (1, 10)
    assert bounds("latest", "page") == (1, 100_000)
    assert bounds("tags", "page") == (1, 100_000)
    assert bounds("tag", "page") == (1, 100_000)
    for command in ("show", "edit", "publish", "schedule", "delete", "stats"):
        assert bounds(command, "id") == (1, 2**53), command
    (remove,) = [o for o in synced["anniversary"]["options"] if o["name"] == "remove"]
    assert remove["options"][0]["min_value"] == 1


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (
            {"date": "1945-08-15 Liberation", "title": "Day"},
            "The date is one word: YYYY-MM-DD, or --MM-DD when the year is unknown.",
        ),
        (
            {"date": "1945-08-15", "title": "Day", "time": "9 30"},
            "The time is HH:MM, for example 09:30.",
        ),
        (
            {"date": "1945-08-15", "title": "Day", "time": "09:30 extra"},
            "The time is HH:MM, for example 09:30.",
        ),
        (
            {"date": "1945-08-15", "title": "10:30 train"},
            "The title cannot start with a time: put it in the time option.",
        ),
        (
            {"date": "1945-08-15", "title": "We are #1"},
            "The title cannot contain #tags: put them in the tags option.",
        ),
    ],
)
async def test_anniversary_options_the_core_would_misread_are_refused(
    adapter: DiscordAdapter,
    fake: FakeDiscord,
    core: RecordingCore,
    options: dict[str, object],
    expected: str,
) -> None:
    _, general, member = society(fake)
    reply = await fake.reply_to(
        await fake.slash("anniversary", options, subcommand="add", user=member, channel=general)
    )
    assert reply.ephemeral
    assert reply.content == expected
    assert core.seen == []


async def test_every_slash_command_becomes_its_command_line(
    adapter: DiscordAdapter, fake: FakeDiscord, core: RecordingCore
) -> None:
    _, general, member = society(fake)
    for name, options, subcommand, _ in COMMAND_LINES:
        interaction = await fake.slash(
            name, options, user=member, channel=general, admin=True, subcommand=subcommand
        )
        await fake.reply_to(interaction)
    assert [c.text for c in core.seen] == [line for *_, line in COMMAND_LINES]
    synced = {c["name"] for c in fake.commands[None]}
    assert {name for name, *_ in COMMAND_LINES} | {"post", "draft", "edit"} == synced


async def test_subscribe_where_herald_cannot_post_is_refused(
    adapter: DiscordAdapter, fake: FakeDiscord, core: RecordingCore
) -> None:
    _, general, member = society(fake)
    general.bot_permissions = VIEW_CHANNEL | SEND_MESSAGES
    reply = await fake.reply_to(
        await fake.slash("subscribe", user=member, channel=general, admin=True)
    )
    assert reply.ephemeral
    assert "Embed Links" in reply.content
    assert "Send Messages" not in reply.content
    assert core.seen == []
    assert core.joined == []
    general.bot_permissions |= EMBED_LINKS
    await fake.reply_to(await fake.slash("subscribe", user=member, channel=general, admin=True))
    assert [c.text for c in core.seen] == ["/subscribe"]
    assert [chat.external_id for chat in core.joined] == [str(general.id)]


@pytest.mark.parametrize(("mode", "syncs"), [("never", 0), ("always", 2), ("auto", 1)])
async def test_sync_modes(
    fake: FakeDiscord, core: RecordingCore, seams: FakeDiscord, mode: str, syncs: int
) -> None:
    for _ in range(2):
        running = DiscordAdapter(core, config_for(fake, sync_commands=mode), state=core.state)
        await running.start()
        await running.stop()
    assert len(fake.command_syncs) == syncs
