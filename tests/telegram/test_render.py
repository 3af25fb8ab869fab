"""Rendering to Telegram HTML: everything escaped, parts within the limit, nothing lost."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.telegram.render import (
    keyboard,
    message_text,
    render_message,
    render_reply,
    runs_html,
    split_runs,
    utf16_len,
)
from bot.formatting import TextStyle
from bot.ports import MessageKind, OutboundMessage
from bot.replies import Button, Reply, ReplyBuilder, Style
from bot.tags import hashtag
from tests.fakes.telegram_wire import parse_html

_NUMBER = re.compile(r"\n\n\((\d+)/(\d+)\)$")
_ALPHABET = st.sampled_from(
    [*"ab cd\n\n\n <>&\"'", "𝄞", "😀", "é", "\u0301", "한", "я", "\t", "👍", "🏽", "\u200d"]
)
_TEXT = st.text(alphabet=_ALPHABET, max_size=120) | st.text(max_size=60)
# A piece of a reply: its text, a style, an address (used when the style is a link).
_PIECE = st.tuples(
    _TEXT,
    st.sampled_from(list(Style)),
    st.sampled_from([None, "https://example.org/a?b=1&c=<2>", "javascript:alert(1)"]),
)
Piece = tuple[str, Style, str | None]


def _reply(pieces: list[Piece]) -> Reply:
    """The pieces one after another, each a run of its style."""
    text, runs = "", []
    for piece, style, url in pieces:
        runs.append(TextStyle(style, len(text), len(text) + len(piece), url))
        text += piece
    return Reply(text, tuple(runs))


def _check_parts(original: str, parts: list[str], limit: int) -> None:
    """Each part parses as valid Telegram HTML within the limit; together they are the original."""
    plains = []
    for i, part in enumerate(parts, 1):
        plain, _ = parse_html(part)
        assert utf16_len(plain) <= limit
        assert plain.strip()
        if len(parts) > 1:
            match = _NUMBER.search(plain)
            assert match is not None
            assert (int(match.group(1)), int(match.group(2))) == (i, len(parts))
            plain = plain[: match.start()]
        plains.append(plain)
    if len(parts) == 1:
        assert plains[0] in (original, original.strip())
        return
    pos = 0
    for plain in plains:
        while original[pos : pos + len(plain)] != plain:
            assert original[pos].isspace(), "only split whitespace may be dropped"
            pos += 1
        pos += len(plain)
    assert original[pos:].strip() == ""


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECE, max_size=12), st.sampled_from([30, 45, 80, 200]))
def test_any_pieces_split_into_valid_parts(pieces: list[Piece], limit: int) -> None:
    parts = render_reply(_reply(pieces), limit)
    original = "".join(piece for piece, _, _ in pieces)
    if not original.strip():
        assert parts == []
        return
    _check_parts(original, parts, limit)


_PIECES = ["word ", "\n\n", "\n", "😀", "𝄞x", "a", "e\u0301", "<&> ", " ", "long-word-"]
_LONG = st.lists(
    st.tuples(st.sampled_from(_PIECES), st.integers(1, 1500)), min_size=1, max_size=30
).map(lambda runs: "".join(piece * times for piece, times in runs))


@settings(max_examples=40, deadline=None)
@given(_LONG)
def test_long_texts_at_the_real_limit(text: str) -> None:
    parts = render_reply(Reply(text))
    if text.strip():
        _check_parts(text, parts, 4096)


def test_everything_escaped() -> None:
    reply = (
        ReplyBuilder()
        .bold("<b>&")
        .text(" 1 < 2 ")
        .link("x</a>", 'https://e.org/?q="1"&r=2')
        .code("<pre>")
        .link("bad", "javascript:alert(1)")
        .build()
    )
    (html_text,) = render_reply(reply)
    assert html_text == (
        '<b>&lt;b&gt;&amp;</b> 1 &lt; 2 <a href="https://e.org/?q=&quot;1&quot;&amp;r=2">'
        "x&lt;/a&gt;</a><code>&lt;pre&gt;</code>bad"
    )
    plain, entities = parse_html(html_text)
    assert plain == reply.plain()
    assert [e["type"] for e in entities] == ["bold", "text_link", "code"]


def test_paragraph_boundaries_preferred_and_bold_reopened() -> None:
    para = "word " * 150  # 750 chars
    body = (para.strip() + "\n\n") * 7
    text = "Title\n\n" + body
    parts = split_runs(text, (TextStyle(Style.BOLD, 0, 5), TextStyle(Style.BOLD, 7, len(text))))
    assert len(parts) == 2
    first = parts[0][0] + parts[0][2]
    assert first.endswith(para.strip() + "\n\n(1/2)")
    assert parts[1][1] == (TextStyle(Style.BOLD, 0, len(parts[1][0])),)
    assert parts[1][2] == "\n\n(2/2)"


def test_link_never_split_and_surrogates_kept() -> None:
    reply = ReplyBuilder().text("x" * 25).link("a link text", "https://example.org")
    reply.text("y" * 30)
    built = reply.build()
    parts = split_runs(built.text, built.styles, 40)
    links = [
        (text[run.start : run.end], run.url)
        for text, runs, _ in parts
        for run in runs
        if run.style is Style.LINK
    ]
    assert links == [("a link text", "https://example.org")]
    emoji = "😀" * 3000
    for part in render_reply(Reply(emoji)):
        plain, _ = parse_html(part)
        assert utf16_len(plain) <= 4096
        assert "\ufffd" not in plain


def test_announcement_layout_and_9000_characters() -> None:
    body = "\n\n".join(f"Paragraph {i}. " + "Friendship & <peace>. " * 20 for i in range(21))
    message = OutboundMessage(
        MessageKind.ANNOUNCEMENT,
        title="Congratulations <75>",
        body=body,
        tags=("Friends of Korea", "DPRK-Russia relations"),
        signature="Korean-Russian Friendship Society",
    )
    assert len(body) > 9000
    parts = render_message(message)
    assert len(parts) == 3
    assert parts[0].startswith("<b>Congratulations &lt;75&gt;</b>\n\nParagraph 0.")
    assert parts[-1].endswith(
        "<i>Korean-Russian Friendship Society</i>\n\n#Friends_of_Korea #DPRK_Russia_relations"
        "\n\n(3/3)"
    )
    original = message_text(message)[0]
    _check_parts(original, parts, 4096)


def test_short_message_and_helpers() -> None:
    message = OutboundMessage(MessageKind.ANNIVERSARY, title="Day", body="Text", tags=("a b",))
    assert render_message(message) == ["<b>Day</b>\n\nText\n\n#a_b"]
    assert hashtag(" #!! ") == ""
    assert runs_html("", (TextStyle(Style.BOLD, 0, 0),)) == ""
    reply = Reply("p", buttons=((Button("Next ›", "/tag 1 2"),),))
    markup = keyboard(reply)
    assert markup is not None
    assert markup.inline_keyboard[0][0].callback_data == "/tag 1 2"
    assert keyboard(Reply("p")) is None


def test_a_reply_keeps_every_entity_telegram_shows() -> None:
    # Telegram shows the first 100 entities of a message: a reply is split like a post is.
    builder = ReplyBuilder()
    for i in range(150):
        builder.bold(f"#{i}").text(" ")
    reply = builder.build()
    parts = render_reply(reply)
    assert len(parts) == 2
    assert all(len(parse_html(part)[1]) <= 100 for part in parts)
    assert sum(len(parse_html(part)[1]) for part in parts) == 150


def test_a_reply_is_not_cut_inside_a_styled_piece() -> None:
    reply = ReplyBuilder().text("x " * 12).bold("bold words here").text(" y").build()
    parts = render_reply(reply, 40)
    assert len(parts) == 2
    assert parts[1].startswith("<b>bold words here</b>")
