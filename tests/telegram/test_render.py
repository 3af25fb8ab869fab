"""Rendering to Telegram HTML: everything escaped, parts within the limit, nothing lost."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.telegram.render import (
    keyboard,
    message_spans,
    render_message,
    render_reply,
    spans_html,
    split_spans,
    utf16_len,
)
from bot.ports import MessageKind, OutboundMessage
from bot.replies import Button, Reply, ReplyBuilder, Span, Style
from bot.tags import hashtag
from tests.fakes.telegram_wire import parse_html

_NUMBER = re.compile(r"\n\n\((\d+)/(\d+)\)$")
_ALPHABET = st.sampled_from(
    [*"ab cd\n\n\n <>&\"'", "𝄞", "😀", "é", "\u0301", "한", "я", "\t", "👍", "🏽", "\u200d"]
)
_TEXT = st.text(alphabet=_ALPHABET, max_size=120) | st.text(max_size=60)
_SPAN = st.builds(
    Span,
    _TEXT,
    st.sampled_from(list(Style)),
    st.sampled_from([None, "https://example.org/a?b=1&c=<2>", "javascript:alert(1)"]),
)


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
@given(st.lists(_SPAN, max_size=12), st.sampled_from([30, 45, 80, 200]))
def test_any_spans_split_into_valid_parts(spans: list[Span], limit: int) -> None:
    parts = render_reply(Reply(tuple(spans)), limit)
    original = "".join(s.text for s in spans)
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
    parts = render_reply(Reply((Span(text),)))
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
    spans = [Span("Title", Style.BOLD), Span("\n\n"), Span((para.strip() + "\n\n") * 7, Style.BOLD)]
    parts = split_spans(spans, 4096)
    assert len(parts) == 2
    first = "".join(s.text for s in parts[0])
    assert first.endswith(para.strip() + "\n\n(1/2)")
    assert all(s.style is Style.BOLD for s in parts[1][:-1])
    assert parts[1][-1].text == "\n\n(2/2)"


def test_link_never_split_and_surrogates_kept() -> None:
    link = Span("a link text", Style.LINK, "https://example.org")
    spans = [Span("x" * 25), link, Span("y" * 30)]
    parts = split_spans(spans, 40)
    links = [s for part in parts for s in part if s.style is Style.LINK]
    assert links == [link]
    emoji = Span("😀" * 3000)
    for part in render_reply(Reply((emoji,))):
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
    original = "".join(s.text for s in message_spans(message))
    _check_parts(original, parts, 4096)


def test_short_message_and_helpers() -> None:
    message = OutboundMessage(MessageKind.ANNIVERSARY, title="Day", body="Text", tags=("a b",))
    assert render_message(message) == ["<b>Day</b>\n\nText\n\n#a_b"]
    assert hashtag(" #!! ") == ""
    assert spans_html([Span(""), Span("", Style.BOLD)]) == ""
    reply = Reply((Span("p"),), buttons=((Button("Next ›", "/tag 1 2"),),))
    markup = keyboard(reply)
    assert markup is not None
    assert markup.inline_keyboard[0][0].callback_data == "/tag 1 2"
    assert keyboard(Reply((Span("p"),))) is None
