"""Rendering to Discord: escaping, embeds and the per-message limits."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.discord.markdown import runs_markdown, ulen
from adapters.discord.markdown_parse import parse_markdown
from adapters.discord.render import (
    CONTENT_LIMIT,
    DESCRIPTION_LIMIT,
    EMBED_TOTAL_LIMIT,
    EMBEDS_PER_MESSAGE,
    TITLE_LIMIT,
    embed_size,
    render_message,
    render_reply,
    split_text,
    styled_body,
)
from bot.ports import MessageKind, OutboundMessage
from bot.replies import Button, ReplyBuilder

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "society-post.txt"

words = st.text(
    alphabet=st.characters(exclude_categories=["Cs"]) | st.sampled_from(" \n*_`#>-\\"),
    max_size=60,
)
long_text = st.lists(words, max_size=400).map(" ".join)


def squash(text: str) -> str:
    """Text without whitespace and backslashes, to compare content across cuts."""
    return re.sub(r"[\s\\]", "", text)


def message(title: str, body: str, tags: tuple[str, ...] = ()) -> OutboundMessage:
    return OutboundMessage(
        MessageKind.ANNOUNCEMENT,
        title,
        body,
        tags=tags,
        published_at=datetime(2020, 8, 15, 9, 0, tzinfo=UTC),
    )


@settings(max_examples=60, deadline=None)
@given(title=words, body=long_text, tags=st.lists(words, max_size=8))
def test_every_message_within_discord_limits(title: str, body: str, tags: list[str]) -> None:
    outbound = message(title * 10, body * 3, tuple(tags))
    parts = render_message(outbound)
    descriptions: list[str] = []
    for part in parts:
        assert 1 <= len(part.embeds) <= EMBEDS_PER_MESSAGE
        assert sum(embed_size(e) for e in part.embeds) <= EMBED_TOTAL_LIMIT
        for embed in part.embeds:
            assert ulen(embed.title or "") <= TITLE_LIMIT
            assert ulen(embed.description or "") <= DESCRIPTION_LIMIT
            descriptions.append(embed.description or "")
    assert squash("".join(descriptions)) == squash(runs_markdown(*styled_body(outbound)))


@settings(max_examples=80, deadline=None)
@given(text=long_text, limit=st.integers(min_value=20, max_value=3000))
def test_split_text_keeps_everything_within_limit(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert all(0 < ulen(p) <= limit for p in parts)
    assert squash("".join(parts)) == squash(text)


def test_split_prefers_paragraphs() -> None:
    text = "a" * 50 + "\n\n" + "b" * 40 + "\n" + "c" * 40
    assert split_text(text, 100) == ["a" * 50, "b" * 40 + "\n" + "c" * 40]
    assert split_text("x" * 30 + " " + "y" * 30, 40) == ["x" * 30, "y" * 30]


def test_astral_characters_count_twice_and_are_never_halved() -> None:
    parts = split_text("😀" * 1500, CONTENT_LIMIT)
    assert [ulen(p) for p in parts] == [2000, 1000]


def test_nine_thousand_characters_become_continuation_embeds() -> None:
    body = "\n\n".join(f"Paragraph {i}. " + "word " * 150 for i in range(12))
    assert len(body) > 9000
    parts = render_message(message("A long post", body, ("Friends of Korea", "DPRK")))
    embeds = [e for p in parts for e in p.embeds]
    assert embeds[0].title == "A long post"
    assert all(e.title is None for e in embeds[1:])
    assert embeds[-1].footer.text == "#Friends_of_Korea #DPRK"
    assert embeds[-1].timestamp == datetime(2020, 8, 15, 9, 0, tzinfo=UTC)
    assert all(e.footer.text is None and e.timestamp is None for e in embeds[:-1])
    tokens = {t for e in embeds for t in (e.description or "").split()}
    assert tokens <= {"Paragraph", "word"} | {f"{i}." for i in range(12)}
    assert sum(len(p.embeds) for p in parts) >= 3


def test_sample_post_renders_in_one_message() -> None:
    text = SAMPLE.read_text()
    title, _, body = text.partition("\n")
    parts = render_message(message(title, body))
    assert len(parts) == 1
    assert parts[0].embeds[0].title == title.strip()


def test_user_text_is_escaped_and_long_titles_cut() -> None:
    parts = render_message(message("*bold* " + "t" * 300, "__under__ @everyone `x`"))
    embed = parts[0].embeds[0]
    assert embed.title is not None
    assert embed.title.startswith("\\*bold\\*")
    assert embed.title.endswith("…")
    assert ulen(embed.title) <= TITLE_LIMIT
    assert embed.description == "\\_\\_under\\_\\_ @everyone \\`x\\`"


def test_reply_markdown_escapes_user_text_only() -> None:
    reply = (
        ReplyBuilder()
        .bold("Tags")
        .line(": ")
        .text("*not bold*")
        .link("site", "https://example.org/a_(b)")
        .code("a`b")
        .buttons(Button("Next", "/tags 2"))
        .build()
    )
    (content,) = render_reply(reply)
    assert content == ("**Tags**: \n\\*not bold\\*[site](<https://example.org/a_(b%29>)`` a`b ``")


def test_long_reply_is_split_into_messages() -> None:
    builder = ReplyBuilder()
    for i in range(300):
        builder.line(f"{i}. an announcement title")
    contents = render_reply(builder.build())
    assert len(contents) == 5
    assert all(ulen(c) <= CONTENT_LIMIT for c in contents)
    lines = "\n".join(contents).splitlines()
    assert lines == [f"{i}. an announcement title" for i in range(300)]


def test_reply_markers_never_run_together_or_hug_spaces() -> None:
    reply = ReplyBuilder().italic("a").bold("b").text(" ").bold(" c ").build()
    (content,) = render_reply(reply)
    plain, runs = parse_markdown(content)
    assert plain == "ab  c "
    assert {(r.style.value, plain[r.start : r.end]) for r in runs} == {
        ("italic", "a"), ("bold", "b"), ("bold", "c"),
    }
